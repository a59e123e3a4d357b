"""The console with several destinations, in process over a real SQLite store: rows and filters carry the
destination, and the mapping tester previews each destination's own tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sfmc_actions.console import create_console_app
from sfmc_actions.queue import NewJob, open_store
from sfmc_actions.service.console import console_context
from sfmc_actions.service.load import load
from sfmc_actions.service.run import emulator_settings

TWO = """
sources:
  - {name: website, write_key: website-key}
destinations:
  - name: emea
    subscriptions:
      - {name: orders, action: dataExtension, trigger: 'type = "track"',
         mapping: {key: Orders, keys: {id: {"@path": "$.messageId"}}, values: {n: 1}}}
  - name: us
    subscriptions:
      - {name: orders, action: dataExtension, trigger: 'type = "track"',
         mapping: {key: Orders, keys: {id: {"@path": "$.messageId"}}, values: {n: 2}}}
"""


def dead(n: int, destination: str) -> NewJob:
    return NewJob(
        subscription="orders",
        action="dataExtension",
        batch_key="dataExtension:key:Orders",
        tenant=f"emulator/{destination}",
        message_id=f"m{n}",
        event={"type": "track", "messageId": f"m{n}", "userId": "u1"},
        payload=None,
        dead_reason="mapping: the value at keys.id is missing",
        destination=destination,
    )


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    config = tmp_path / "two.yaml"
    config.write_text(TWO)
    loaded = load(config)
    store = await open_store(f"sqlite:///{tmp_path / 'console.db'}")
    await store.enqueue([dead(1, "emea"), dead(2, "us"), dead(3, "us")])
    targets = {"emea": emulator_settings("http://127.0.0.1:9"), "us": emulator_settings("http://127.0.0.1:9")}
    context = console_context(loaded, store, "console.db", targets, "http://127.0.0.1:9")
    transport = httpx.ASGITransport(create_console_app(context), client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8089") as http:
            yield http
    finally:
        await store.close()


async def test_dead_letters_carry_and_filter_by_destination(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/admin/api/dead-letters")).json()
    assert sorted((d["destination"], d["message_id"]) for d in listed) == [("emea", "m1"), ("us", "m2"), ("us", "m3")]
    us = (await client.get("/admin/api/dead-letters", params={"destination": "us"})).json()
    assert sorted(d["message_id"] for d in us) == ["m2", "m3"]
    page = await client.get("/dead-letters", params={"destination": "emea"})
    assert page.status_code == 200 and 'name="destination"' in page.text
    assert "m1" in page.text and "m2" not in page.text


async def test_overview_counts_each_destination_apart(client: httpx.AsyncClient) -> None:
    overview = (await client.get("/admin/api/overview", params={"since": "1h"})).json()
    rows = {(r["destination"], r["subscription"]): r for r in overview["subscriptions"] if r["subscription"]}
    assert rows[("emea", "orders")]["invalid"] == 1 and rows[("us", "orders")]["invalid"] == 2


async def test_the_mapping_tester_needs_the_destination_when_names_repeat(client: httpx.AsyncClient) -> None:
    event = {"type": "track", "event": "Order Completed", "messageId": "m9", "userId": "u1"}
    unsaid = await client.post("/admin/api/subscriptions/orders/test", json={"event": event})
    assert unsaid.status_code == 400 and "emea" in unsaid.text and "us" in unsaid.text, unsaid.text
    for destination, n in (("emea", 1), ("us", 2)):
        answer = await client.post(
            "/admin/api/subscriptions/orders/test", params={"destination": destination}, json={"event": event}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["validated"]["values"] == {"n": n}
