"""Workers deliver to the emulator over a real socket from a real SQLite file: rows, contacts, journey entries;
faults (429, 5xx, dropped and hanging calls, expired tokens) end delivered; bad rows end dead, alone."""

from __future__ import annotations

import asyncio
from typing import Any

from sfmc_actions.queue import JobState, JobStore
from sfmc_actions.queue.jobs import NewJob
from sfmc_actions.service.load import Loaded
from tests.integration.deliver.conftest import Emulator, drain, enqueue, example_events, worker_for

DE_ACTIONS = ("dataExtension", "contactDataExtension")


def order(n: int, **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "userId": f"u{n}",
        "messageId": f"order-{n}",
        "timestamp": "2025-01-01T10:00:00.000Z",
        "properties": {"order_id": f"o-{n}", "revenue": 10 + n, "currency": "EUR", **properties},
    }


async def assert_all_arrived(emulator: Emulator, jobs: list[NewJob]) -> None:
    for key in {job.payload["key"] for job in jobs if job.action in DE_ACTIONS}:
        rows = await emulator.rows(key)
        for job in (j for j in jobs if j.action in DE_ACTIONS and j.payload["key"] == key):
            assert any(all(row.get(k) == v for k, v in job.payload["keys"].items()) for row in rows), (key, job)
    contacts = {c["contact_key"] for c in await emulator.get("/contacts")}
    assert {j.payload["contactKey"] for j in jobs if j.action == "contact"} <= contacts
    fired = await emulator.get("/journey-events")
    assert sorted(e["contact_key"] for e in fired) == sorted(
        j.payload["contactKey"] for j in jobs if j.action == "apiEvent"
    )


async def test_quick_start_events_arrive_in_the_emulator(
    store: JobStore, quickstart: Loaded, emulator: Emulator
) -> None:
    jobs = await enqueue(store, quickstart, example_events())
    assert {j.action for j in jobs} == {"contact", "contactDataExtension", "dataExtension", "apiEvent"}
    async with worker_for(quickstart, store, emulator) as worker:
        await drain(worker, store)
    stats = await store.stats()
    assert stats.total(JobState.DELIVERED) == len(jobs) and stats.total(JobState.DEAD) == 0
    await assert_all_arrived(emulator, jobs)
    rowsets = await emulator.get("/journal?route=rowset")
    assert len(rowsets) < sum(1 for j in jobs if j.action in DE_ACTIONS)  # batched, not one call per row
    assert await emulator.token_requests() == 1


async def test_faults_end_delivered_and_nothing_dead(store: JobStore, quickstart: Loaded, emulator: Emulator) -> None:
    await emulator.faults(
        {"fault": "rate_limit", "route": "rowset", "nth": [1, 3], "retry_after": 1},
        {"fault": "unavailable", "route": "contacts", "nth": [2], "retry_after": 1},
        {"fault": "server_error", "route": "contacts", "nth": [4, 5]},
        # Timeouts and drops hit upserts (contacts), which are resent; a journey entry whose answer is lost
        # is held in doubt instead (test_in_doubt.py). The journey route gets the faults SFMC answers.
        {"fault": "timeout", "route": "contacts", "nth": [1], "seconds": 0.3},  # hangs, then drops the connection
        {"fault": "timeout", "route": "contacts", "nth": [3], "seconds": 10},  # hangs past the client's timeout
        {"fault": "drop", "route": "contacts", "nth": [6]},
        {"fault": "unavailable", "route": "events", "nth": [1], "retry_after": 1},
        {"fault": "server_error", "route": "events", "nth": [2]},
        {"fault": "expire_tokens", "route": "rowset", "nth": [2]},
        {"fault": "transient_10006", "route": "rowset", "nth": [4]},
    )
    jobs = await enqueue(store, quickstart, example_events())
    async with worker_for(quickstart, store, emulator, http_timeout=1.0) as worker:
        await drain(worker, store)
    stats = await store.stats()
    assert stats.total(JobState.DEAD) == 0, stats.last_errors
    assert (
        worker.metrics.registry.get_sample_value(  # type: ignore[union-attr]
            "sfmc_actions_sfmc_requests_total", {"route": "contacts", "status": "timeout"}
        )
        == 1
    )
    assert stats.total(JobState.DELIVERED) == len(jobs)
    await assert_all_arrived(emulator, jobs)  # journey entries exactly once each, despite the dropped calls
    faults = (await emulator.get("/faults"))["rules"]
    assert all(rule["fired"] >= 1 for rule in faults), faults
    assert worker.counts["throttled"] >= 1 and worker.counts["retry"] >= 1
    assert await emulator.token_requests() == 2  # the first token, and one after the expiry


async def test_only_the_bad_rows_die_with_sfmc_s_messages(
    store: JobStore, quickstart: Loaded, emulator: Emulator
) -> None:
    events = [order(n) for n in range(12)]
    events[3] = order(3, revenue="lots")  # not a Decimal
    events[8] = order(8, currency="EURO")  # longer than the column's 3 characters
    jobs = await enqueue(store, quickstart, events)
    async with worker_for(quickstart, store, emulator) as worker:
        await drain(worker, store)
    dead = await store.list_dead()
    assert sorted(job.message_id or "" for job in dead) == ["order-3", "order-8"]
    reasons = {job.message_id: job.dead_reason or "" for job in dead}
    assert "Revenue" in reasons["order-3"] and "Currency" in reasons["order-8"]
    assert all(job.sent_row and job.sent_row["keys"] == {"Order_ID": job.payload["keys"]["Order_ID"]} for job in dead)
    rows = {row["Order_ID"] for row in await emulator.rows("Orders")}
    assert rows == {f"o-{n}" for n in range(12)} - {"o-3", "o-8"}
    assert len(jobs) == 12


async def test_throttling_does_not_use_attempts_and_shrinks_the_window(
    store: JobStore, quickstart: Loaded, emulator: Emulator
) -> None:
    await emulator.faults({"fault": "rate_limit", "route": "contacts", "times": 6, "retry_after": 1})
    await enqueue(store, quickstart, [{**order(n), "type": "identify", "traits": {}} for n in range(6)])
    async with worker_for(quickstart, store, emulator) as worker:
        await drain(worker, store)
        assert worker.limiter.window < worker.limiter.max_concurrency
    assert worker.counts["throttled"] >= 6
    for job_id in range(1, 7):
        job = await store.get_job(job_id)
        assert job is not None and job.state is JobState.DELIVERED
        assert job.attempts == 1  # the throttled attempts were given back


async def test_stop_finishes_sends_in_flight_and_releases_the_rest(
    store: JobStore, quickstart: Loaded, emulator: Emulator
) -> None:
    await emulator.faults({"fault": "latency", "route": "contacts", "seconds": 0.5})
    identify = {"type": "identify", "userId": "u1", "messageId": "id-1", "traits": {}}
    page = {"type": "page", "anonymousId": "a1", "messageId": "page-1", "name": "Home", "properties": {}}
    await enqueue(store, quickstart, [identify, page])
    async with worker_for(quickstart, store, emulator, flush_interval=30.0) as worker:
        task = asyncio.create_task(worker.run())
        while not await emulator.get("/journal?route=contacts"):
            await asyncio.sleep(0.02)
        worker.stop()
        await asyncio.wait_for(task, 10)
    stats = await store.stats()
    assert stats.total(JobState.CLAIMED) == 0
    assert stats.total(JobState.DELIVERED, "create-contact") == 1  # the contact call in flight finished
    (page_job,) = [j for j in [await store.get_job(i) for i in range(1, 4)] if j and j.subscription == "page-views-de"]
    assert page_job.state is JobState.PENDING and page_job.attempts == 0  # released, attempt given back
    assert await emulator.rows("Page_Views") == []
