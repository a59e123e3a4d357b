"""The worker's journey entries over real parts (the emulator on a real socket; a SQLite file and the real
PostgreSQL): `journey_batching: true` sends up to 100 members per request and keeps SFMC's answer for each;
entries in doubt (lost answers, a worker that died mid-send) are settled from SFMC's status endpoint; entries
SFMC reports errored later become dead letters."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from sfmc_actions.queue import JobState, JobStore, RetryPolicy
from sfmc_actions.queue.jobs import EntryAnswer
from sfmc_actions.service.load import Loaded, load
from sfmc_actions.sfmc.actions.api_event_batch import BatchedApiEvent
from sfmc_actions.sfmc.outcomes import Delivered
from tests.integration.deliver.conftest import QUICKSTART, Emulator, drain, enqueue, signed_up, worker_for

KEY = "APIEvent-welcome"


def config(tmp_path: Path, *, batching: bool = True) -> Loaded:
    """The quick start, its welcome journey sent in batches (or one at a time)."""
    text = yaml.safe_load(QUICKSTART.read_text())
    for sub in text["subscriptions"]:
        if sub["name"] == "welcome-journey":
            sub["journey_batching"] = batching
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(text))
    return load(path)


@pytest.fixture
def batched(tmp_path: Path) -> Loaded:
    return config(tmp_path)


async def entered(emulator: Emulator) -> Counter[str]:
    """Contacts that entered the journey (an errored member did not)."""
    events = await emulator.get(f"/journey-events?eventDefinitionKey={KEY}")
    return Counter(e["contact_key"] for e in events if e["status"] != "errored")


def settled(worker: Any, how: str) -> float:
    labels = {"destination": "default", "subscription": "welcome-journey", "action": "apiEvent", "settled": how}
    return worker.metrics.registry.get_sample_value("sfmc_actions_jobs_doubt_settled_total", labels) or 0.0


async def test_batched_entries_go_up_to_100_to_a_request_and_keep_sfmcs_answer(
    any_store: JobStore, batched: Loaded, emulator: Emulator
) -> None:
    await enqueue(any_store, batched, [signed_up(n) for n in range(230)])
    async with worker_for(batched, any_store, emulator) as worker:
        assert isinstance(worker.plans.get("welcome-journey").action, BatchedApiEvent)  # type: ignore[union-attr]
        await drain(worker, any_store)

    assert await entered(emulator) == Counter({f"u{n}": 1 for n in range(230)})
    calls = [c for c in await emulator.get("/journal?route=async_events") if c["route"] == "async_events"]
    members = Counter(m["parent"] for m in await emulator.get("/journal?route=async_events_member"))
    # Up to 100 members a request (the worker's tasks claim in parallel, so some batches are smaller), no singles.
    assert sum(members.values()) == 230 and max(members.values()) <= 100 and len(calls) <= 10
    assert await emulator.get("/journal?route=events") == []
    assert (await any_store.stats()).total(JobState.DELIVERED) == 230
    sends = await any_store.entries.sends(range(1, 231))
    assert all(s.sent_from is not None and s.event_instance_id for s in sends.values())
    assert len({s.request_id for s in sends.values()}) == len(calls)  # SFMC's requestId of each batch


async def test_a_lost_batch_answer_is_settled_from_the_status_endpoint(
    any_store: JobStore, batched: Loaded, emulator: Emulator
) -> None:
    # The first request is processed and its answer lost (one member ends errored); the second never reaches SFMC.
    await emulator.faults(
        {"fault": "drop", "route": "async_events", "nth": [1], "after": True},
        {"fault": "errored_member", "route": "async_events", "nth": [1], "rows": [3], "message": "Contact is inactive"},
        {"fault": "drop", "route": "async_events", "nth": [2]},
    )
    await enqueue(any_store, batched, [signed_up(n) for n in range(100)])
    async with worker_for(batched, any_store, emulator, http_timeout=2.0, concurrency=1) as worker:
        await drain(worker, any_store)  # one request of 100 members
    assert (settled(worker, "delivered"), settled(worker, "dead"), settled(worker, "resent")) == (99, 1, 0)
    await enqueue(any_store, batched, [signed_up(n) for n in range(100, 150)])
    async with worker_for(batched, any_store, emulator, http_timeout=2.0, concurrency=1) as worker:
        await drain(worker, any_store)
    assert (settled(worker, "delivered"), settled(worker, "resent")) == (0, 50)

    everyone = Counter({f"u{n}": 1 for n in range(150) if n != 3})
    assert await entered(emulator) == everyone  # nothing entered twice, nothing lost
    [dead] = await any_store.list_dead()  # the member SFMC could not process: what SFMC said
    assert dead.payload["contactKey"] == "u3" and "Contact is inactive" in (dead.dead_reason or "")
    assert await any_store.list_dead(reason_contains="in doubt") == []
    statuses = [c for c in await emulator.get("/journal?route=async_events_status")]
    assert statuses and all("eventDefinitionKey=APIEvent-welcome" in c["query"] for c in statuses)


async def test_entries_a_dead_worker_had_on_the_wire_are_settled_not_held(
    any_store: JobStore, batched: Loaded, emulator: Emulator
) -> None:
    await enqueue(any_store, batched, [signed_up(n) for n in range(6)])
    async with worker_for(batched, any_store, emulator, lease_seconds=2.0) as worker:
        plan = worker.plans.get("welcome-journey")
        assert plan is not None
        # A worker claims them, marks them as sending and dies: u0-u1 went out, u2-u3 never left, and u4-u5 went
        # out and their answer was even kept (it died before recording their outcome).
        jobs = await any_store.claim_batch("died", 1.0, 10)
        await any_store.mark_sending("died", [job.id for job in jobs])
        outcomes = await plan.action.send(worker.client, [job.payload for job in jobs[:2] + jobs[4:]])
        kept: list[Any] = [o.response_body for o in outcomes[2:] if isinstance(o, Delivered)]
        answers = [EntryAnswer(j.id, b["requestId"], b["eventInstanceId"]) for j, b in zip(jobs[4:], kept, strict=True)]
        assert await any_store.entries.record("died", answers) == 2
        await drain(worker, any_store)

    assert await entered(emulator) == Counter({f"u{n}": 1 for n in range(6)})
    assert (await any_store.stats()).total(JobState.DELIVERED) == 6
    assert (settled(worker, "delivered"), settled(worker, "resent")) == (4, 2)
    status_calls = await emulator.get("/journal?route=async_events_status")
    asked = {c["query"].split("contactKey=")[1].split("&")[0] for c in status_calls}
    assert asked == {"u0", "u1", "u2", "u3"}  # u4 and u5 were known to be queued: not asked about


async def test_single_entries_are_settled_only_when_the_status_endpoint_lists_them(
    tmp_path: Path, store: JobStore, emulator: Emulator
) -> None:
    single = config(tmp_path, batching=False)
    await emulator.faults(
        {"fault": "drop", "route": "events", "nth": [1], "after": True},  # entered, answer lost
        {"fault": "drop", "route": "events", "nth": [2]},  # never reached SFMC
    )
    await enqueue(store, single, [signed_up(n) for n in range(4)])
    async with worker_for(single, store, emulator, concurrency=1, http_timeout=2.0) as worker:
        await drain(worker, store)
    # The emulator's status endpoint (as SFMC documents it) lists batched entries only: neither is settled.
    held = await store.list_dead(reason_contains="in doubt")
    assert len(held) == 2 and all("status endpoint cannot tell" in (j.dead_reason or "") for j in held)
    assert all("documented for batched entry only" in (j.dead_reason or "") for j in held)
    assert settled(worker, "held") == 2

    # A tenant whose status endpoint lists single entries too: the one that arrived is proven, the other is not.
    await emulator.http.patch(f"{emulator.url}/__emulator/options", json={"status_lists_single_events": True})
    await emulator.faults(
        {"fault": "drop", "route": "events", "nth": [1], "after": True},
        {"fault": "drop", "route": "events", "nth": [2]},
    )
    await enqueue(store, single, [signed_up(n) for n in range(10, 14)])
    async with worker_for(single, store, emulator, concurrency=1, http_timeout=2.0) as worker:
        await drain(worker, store)
    assert settled(worker, "delivered") == 1 and settled(worker, "held") == 1
    later = [j for j in await store.list_dead(reason_contains="in doubt") if int(j.payload["contactKey"][1:]) >= 10]
    assert len(later) == 1 and later[0].payload["contactKey"] not in await entered(emulator)


async def test_entries_sfmc_reports_errored_later_become_dead_letters(
    any_store: JobStore, batched: Loaded, emulator: Emulator
) -> None:
    await emulator.faults(
        {"fault": "errored_member", "route": "async_events", "rows": [1, 4], "message": "Contact is not sendable"}
    )
    await enqueue(any_store, batched, [signed_up(n) for n in range(6)])
    async with worker_for(batched, any_store, emulator, concurrency=1) as worker:  # one request of 6 members
        await drain(worker, any_store)
        assert (await any_store.stats()).total(JobState.DELIVERED) == 6  # queued: SFMC said yes, at first
        assert await worker.check_errored() == 2
        assert await worker.check_errored() == 0  # each is made dead once

    dead = sorted(await any_store.list_dead(), key=lambda job: job.id)
    assert [job.payload["contactKey"] for job in dead] == ["u1", "u4"]
    assert all("could not process it: Contact is not sendable" in (job.dead_reason or "") for job in dead)
    assert dead[0].sent_row == dead[0].payload  # what was sent, for the dead-letter view and replay
    registry = worker.metrics.registry
    assert registry is not None
    sample = registry.get_sample_value(
        "sfmc_actions_journey_entries_errored_total", {"destination": "default", "subscription": "welcome-journey"}
    )
    assert sample == 2


async def test_when_the_status_endpoint_fails_the_entry_stays_in_doubt_and_is_asked_about_again(
    store: JobStore, batched: Loaded, emulator: Emulator
) -> None:
    await emulator.faults(
        {"fault": "drop", "route": "async_events", "nth": [1], "after": True},  # entered, answer lost
        {"fault": "server_error", "route": "async_events_status", "nth": [1]},  # the first question fails
    )
    await enqueue(store, batched, [signed_up(n) for n in range(3)])
    async with worker_for(batched, store, emulator, http_timeout=2.0, concurrency=1) as worker:  # one request
        await drain(worker, store)
    assert await entered(emulator) == Counter({"u0": 1, "u1": 1, "u2": 1})  # none sent again
    assert settled(worker, "delivered") == 3 and (await store.stats()).total(JobState.DELIVERED) == 3
    asked = [c["query"] for c in await emulator.get("/journal?route=async_events_status")]
    assert len(asked) == 4  # one contact was asked twice


async def test_a_lost_answer_past_both_retry_limits_is_held_for_a_person(
    store: JobStore, batched: Loaded, emulator: Emulator
) -> None:
    await emulator.faults({"fault": "drop", "route": "async_events", "nth": [1], "after": True})
    await enqueue(store, batched, [signed_up(0)])
    spent = RetryPolicy(max_attempts=1, max_age=0.001)
    async with worker_for(batched, store, emulator, http_timeout=2.0, policy=spent) as worker:
        await drain(worker, store)
    [held] = await store.list_dead(reason_contains="in doubt")
    assert "was sent but its answer was lost" in (held.dead_reason or "") and "replay" in (held.dead_reason or "")
    assert await emulator.get("/journal?route=async_events_status") == []  # no time left to ask SFMC
