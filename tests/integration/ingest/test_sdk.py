"""Segment's own analytics-python SDK, pointed at the ingest API on a real socket, over real stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import segment.analytics as analytics
from segment.analytics.request import APIError

from sfmc_actions.queue import Job, JobState, JobStore, open_store
from tests.integration.ingest.conftest import WRITE_KEY, IngestServer, all_jobs, no_default_client


def send_one_of_each(client: analytics.Client | None = None) -> None:
    """identify, track x2, page, screen, group, alias, each with a known messageId."""
    api: Any = client or analytics
    api.identify("u-1", {"email": "ada@example.com", "first_name": "Ada", "plan": "pro"}, message_id="m-identify")
    api.track("u-1", "Order Completed", {"order_id": "o-1", "revenue": 42.5, "currency": "EUR"}, message_id="m-order")
    api.track(
        "u-1", "Signed Up", {"plan": "pro"}, context={"traits": {"email": "ada@example.com"}}, message_id="m-signup"
    )
    api.page("u-1", name="Home", properties={"url": "https://shop.example.com/"}, message_id="m-page")
    api.screen("u-1", name="Settings", message_id="m-screen")
    api.group("u-1", "acme", {"name": "Acme Inc"}, message_id="m-group")
    api.alias("anon-1", "u-1", message_id="m-alias")


def by_subscription(jobs: list[Job]) -> dict[str | None, Job]:
    return {job.subscription: job for job in jobs}


async def check_jobs(store: JobStore) -> None:
    jobs = await all_jobs(store)
    subs = by_subscription(jobs)
    assert set(subs) == {
        "create-contact",
        "customers-de",
        "orders-de",
        "welcome-journey",
        "page-views-de",
        "screens-de",
        "groups-de",
        "aliases-de",
    }
    assert all(job.state is JobState.PENDING for job in jobs) and len(jobs) == 8
    assert subs["create-contact"].payload == {"contactKey": "u-1"}
    customers = subs["customers-de"]
    assert customers.batch_key == "contactDataExtension:key:Customers" and customers.message_id == "m-identify"
    assert customers.payload["values"]["Email"] == "ada@example.com" and customers.payload["values"]["Plan"] == "pro"
    assert customers.event["context"]["library"]["name"] == "analytics-python"  # the raw event is kept
    assert "writeKey" not in customers.event
    order = subs["orders-de"].payload
    assert order["keys"] == {"Order_ID": "o-1"} and order["values"]["Summary"] == "o-1: EUR 42.5"
    assert subs["welcome-journey"].payload == {
        "eventDefinitionKey": "APIEvent-welcome",
        "contactKey": "u-1",
        "data": {"Email": "ada@example.com", "Plan": "pro"},
    }
    assert subs["page-views-de"].payload["values"]["Page_Name"] == "Home"
    assert subs["screens-de"].payload["values"] == {"Screen_Name": "Settings", "Contact_Key": "u-1"}
    assert subs["groups-de"].payload == {
        "key": "Groups",
        "keys": {"Group_ID": "acme"},
        "values": {"Contact_Key": "u-1", "Company": "Acme Inc"},
    }
    assert subs["aliases-de"].payload["keys"] == {"Previous_ID": "anon-1"}


async def test_every_call_from_the_sdk_in_sync_mode_lands_in_the_store(server: str, store: JobStore) -> None:
    with no_default_client():
        analytics.write_key, analytics.host, analytics.sync_mode = WRITE_KEY, server, True
        send_one_of_each()
    await check_jobs(store)


async def test_the_sdks_gzip_batches_from_its_consumer_thread(server: str, store: JobStore) -> None:
    client = analytics.Client(WRITE_KEY, host=server, gzip=True, upload_size=100, max_retries=0)
    errors: list[Exception] = []
    client.on_error = lambda error, batch: errors.append(error)
    for n in range(250):
        client.track(f"user-{n}", "Order Completed", {"order_id": f"o-{n}", "revenue": n, "currency": "EUR"})
    client.identify("x", {})  # no email: create-contact only
    client.shutdown()  # flush + join
    assert errors == []
    jobs = await all_jobs(store)
    assert sum(job.subscription == "orders-de" for job in jobs) == 250
    assert {job.payload["keys"]["Order_ID"] for job in jobs if job.subscription == "orders-de"} == {
        f"o-{n}" for n in range(250)
    }


def test_a_wrong_write_key_reaches_the_sdk_as_an_api_error_with_our_message(server: str) -> None:
    client = analytics.Client("not-a-configured-key", host=server, sync_mode=True, max_retries=0)
    with pytest.raises(APIError) as caught:
        client.track("u", "Clicked")
    assert caught.value.status == 401 and caught.value.code == "unauthorized"
    assert "unknown write key" in caught.value.message and "not-a-configured-key" not in caught.value.message


@pytest.mark.postgres
async def test_the_sdk_into_postgresql(config_path: Path, postgres_url: str) -> None:
    with IngestServer(config_path, postgres_url) as base_url:
        client = analytics.Client(WRITE_KEY, host=base_url, sync_mode=True, max_retries=0)
        send_one_of_each(client)
        assert httpx.get(base_url + "/readyz").json() == {"status": "ready"}  # get_job on PostgreSQL
    store = await open_store(postgres_url)
    try:
        await check_jobs(store)
    finally:
        await store.close()
