"""Journey entries are never sent twice blindly: the worker marks them before sending, holds the ones SFMC may
have processed (lost answers, a worker that stopped mid-send) as dead letters, or resends them when told to.
Over a real SQLite store with fake actions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from sfmc_actions.deliver.batching import Batch, SendPlans
from sfmc_actions.deliver.outcomes import Kind
from sfmc_actions.deliver.worker import Worker, WorkerOptions, WorkerSetup
from sfmc_actions.observe.metrics import Metrics
from sfmc_actions.queue import JobState, JobStore, RetryPolicy, SqliteJobStore
from sfmc_actions.sfmc import outcomes as sfmc
from sfmc_actions.sfmc.actions.base import Action, Payload, PerEventAction
from tests.unit.deliver.fakes import new_job, per_event_action, subscription

POLICY = RetryPolicy(base_delay=30, jitter=0)
LOST = "timed out waiting for the answer: ReadTimeout calling POST example/interaction/v1/events"


@dataclass(frozen=True, eq=False, repr=False)
class FakeJourney(PerEventAction):
    """A per-event action that must not be repeated; `delay` seconds per send; records what was marked."""

    idempotent: bool = False
    delay: float = 0.0
    db: Path | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    marked_at_send: list[set[int]] = field(default_factory=list)

    def describe(self, payload: Payload) -> str:
        return f"the journey entry of contact {payload['n']!r}"

    async def send_one(self, client: Any, payload: Payload) -> sfmc.Outcome:
        self.calls.append(dict(payload))
        if self.db is not None:  # what another process sees: the marks are committed before the request
            with sqlite3.connect(self.db) as conn:
                self.marked_at_send.append({r[0] for r in conn.execute("SELECT id FROM jobs WHERE sending_at > 0")})
        if self.delay:
            await asyncio.sleep(self.delay)
        n = payload["n"]
        if payload.get("lost"):
            return sfmc.Retry(LOST, in_doubt=True)
        return sfmc.Retry("SFMC answered 503", 1.0, status=503) if payload.get("busy") else sfmc.Delivered({"n": n})


def journey(**kwargs: Any) -> FakeJourney:
    return FakeJourney(key="fakeJourney", title="Fake journey", description="", fields={}, **kwargs)


def make_worker(store: JobStore, action: Action, **options: Any) -> Worker:
    plans = SendPlans.build([subscription("j", action)], {})
    opts = WorkerOptions(**({"flush_interval": 0.05, "concurrency": 2, "idle_poll": 0.05} | options))
    setup = WorkerSetup("t", POLICY, opts, metrics=Metrics(CollectorRegistry()), name="test")
    return Worker(store, None, plans, setup)  # type: ignore[arg-type]


async def claim(store: JobStore, lease: float = 120) -> Batch:
    jobs = await store.claim_batch("test/0", lease, 100)
    return Batch(jobs[0].batch_key, jobs, None, time.monotonic() + 60)


def in_doubt_count(worker: Worker) -> float:
    registry = worker.metrics.registry
    assert registry is not None
    labels = {"destination": "default", "subscription": "j", "action": "fakeJourney"}
    return registry.get_sample_value("sfmc_actions_jobs_in_doubt_total", labels) or 0.0


async def test_a_lost_answer_is_held_as_a_dead_letter_that_says_what_to_do(store: JobStore) -> None:
    action = journey()
    await store.enqueue(
        [new_job("j", action, 1), new_job("j", action, 2, lost=True), new_job("j", action, 3, busy=True)]
    )
    worker = make_worker(store, action)
    decisions = await worker.deliver("test/0", await claim(store))

    assert [d.kind for d in decisions] == [Kind.DELIVERED, Kind.DEAD, Kind.RETRY]
    held = await store.get_job(2)
    assert held is not None and held.state is JobState.DEAD and held.sent_row == held.payload
    reason = held.dead_reason or ""
    assert reason.startswith("in doubt: the journey entry of contact 2 was sent but its answer was lost (timed out")
    assert "SFMC may have processed it" in reason and "delivery.in_doubt: hold" in reason
    assert "sfmc-actions dead-letters replay --config CONFIG 2 " in reason and '--reason "in doubt"' in reason
    busy = await store.get_job(3)
    assert busy is not None and busy.state is JobState.PENDING  # a 503 proves SFMC did not process it
    assert in_doubt_count(worker) == 1 and len(action.calls) == 3


async def test_with_resend_a_lost_answer_is_retried_and_counted(
    store: JobStore, caplog: pytest.LogCaptureFixture
) -> None:
    action = journey()
    await store.enqueue([new_job("j", action, 1, lost=True)])
    worker = make_worker(store, action, in_doubt="resend")
    with caplog.at_level(logging.WARNING):
        await worker.deliver("test/0", await claim(store))
    job = await store.get_job(1)
    assert job is not None and job.state is JobState.PENDING and job.last_error == LOST and not job.in_doubt
    assert in_doubt_count(worker) == 1
    assert "a contact may enter a journey twice" in caplog.text


async def test_idempotent_actions_just_retry_a_lost_answer(store: JobStore) -> None:
    action = per_event_action(result=lambda p: sfmc.Retry(LOST, in_doubt=True))
    await store.enqueue([new_job("j", action, 1)])
    plans = SendPlans.build([subscription("j", action)], {})
    worker = Worker(store, None, plans, WorkerSetup("t", POLICY, metrics=Metrics(CollectorRegistry())))  # type: ignore[arg-type]
    [decision] = await worker.deliver("test/0", await claim(store))
    assert decision.kind is Kind.RETRY and not decision.in_doubt


@pytest.mark.parametrize(("policy", "sent"), [("hold", False), ("resend", True)])
async def test_a_job_whose_worker_died_mid_send(store: JobStore, policy: str, sent: bool) -> None:
    action = journey()
    await store.enqueue([new_job("j", action, 1), new_job("j", action, 2)])
    [first, _] = await store.claim_batch("died/0", 0.05, 100)
    assert await store.mark_sending("died/0", [first.id]) == {first.id}  # ...and then the process was killed
    await asyncio.sleep(0.1)
    batch = await claim(store)
    assert [job.in_doubt for job in batch.jobs] == [True, False]

    worker = make_worker(store, action, in_doubt=policy)
    await worker.deliver("test/0", batch)

    job = await store.get_job(first.id)
    assert job is not None
    if sent:
        assert job.state is JobState.DELIVERED and [c["n"] for c in action.calls] == [1, 2]
    else:
        assert job.state is JobState.DEAD and [c["n"] for c in action.calls] == [2]
        assert (job.dead_reason or "").startswith(
            "in doubt: the journey entry of contact 1 was being sent when its worker stopped (killed, crashed or cut"
        )
    assert in_doubt_count(worker) == 1


async def test_each_job_is_marked_committed_once_its_request_can_go_out(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "jobs.db")
    await store.migrate()
    try:
        action = journey(db=tmp_path / "jobs.db", concurrency=4, delay=0.02)
        await store.enqueue([new_job("j", action, n) for n in range(10)])
        worker = make_worker(store, action, concurrency=2)  # the tenant's window: 2 requests in flight
        await worker.deliver("test/0", await claim(store))
        final = await store.claim_batch("after", 60, 100)  # nothing left: every outcome recorded
    finally:
        await store.close()
    # Every request went out with its job marked (as another connection sees it), and no more jobs were marked
    # than requests could be in flight: the others waited unmarked, and a kill would not leave them in doubt.
    assert all(call["n"] + 1 in seen for call, seen in zip(action.calls, action.marked_at_send, strict=True))
    assert max(len(seen) for seen in action.marked_at_send) == 2 and final == []


async def test_a_send_cut_off_at_its_budget_is_in_doubt(store: JobStore) -> None:
    action = journey(delay=5.0)
    await store.enqueue([new_job("j", action, 1)])
    batch = await claim(store)
    batch.send_by = time.monotonic() + 0.2
    await make_worker(store, action).deliver("test/0", batch)
    job = await store.get_job(1)
    assert job is not None and job.state is JobState.DEAD
    assert "was sent but its answer was lost (the send took longer than" in (job.dead_reason or "")


async def test_a_journey_send_cancelled_at_shutdown_stays_in_doubt(store: JobStore) -> None:
    action = journey(delay=30.0, concurrency=1)
    await store.enqueue([new_job("j", action, 1), new_job("j", action, 2)])
    worker = make_worker(store, action, shutdown_grace=0.2, concurrency=1)
    task = asyncio.create_task(worker.run())
    deadline = time.monotonic() + 5
    while not action.calls:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(task, 5)

    again = {job.id: job for job in await store.claim_batch("next/0", 60, 10)}
    assert again[1].in_doubt  # its request was on the wire when the send was cancelled
    assert not again[2].in_doubt  # never marked: released unsent
