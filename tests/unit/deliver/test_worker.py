"""The worker over a real SQLite store with fake actions: outcomes recorded, unroutable jobs, cut-offs, stop."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from sfmc_actions.deliver.batching import Batch, SendPlans
from sfmc_actions.deliver.outcomes import Kind
from sfmc_actions.deliver.tenants import TenantLimiter
from sfmc_actions.deliver.worker import Worker, WorkerOptions, WorkerSetup
from sfmc_actions.observe.metrics import Metrics
from sfmc_actions.queue import JobState, JobStore, RetryPolicy
from sfmc_actions.queue.jobs import Job
from sfmc_actions.sfmc import outcomes as sfmc
from sfmc_actions.sfmc.actions.base import Action, Payload
from tests.unit.deliver.fakes import new_job, per_event_action, rows_action, subscription

THROTTLED = "SFMC answered 429 Too Many Requests: Rate limit exceeded (errorcode 50100)"
FAST = RetryPolicy(base_delay=30, jitter=0)


def make_worker(store: JobStore, *actions: tuple[str, Action], **options: Any) -> Worker:
    plans = SendPlans.build([subscription(name, action) for name, action in actions], {})
    opts = WorkerOptions(**({"flush_interval": 0.05, "concurrency": 2, "idle_poll": 0.1} | options))
    setup = WorkerSetup("t", FAST, opts, metrics=Metrics(CollectorRegistry()), name="test")
    return Worker(store, None, plans, setup)  # type: ignore[arg-type]


async def claim(store: JobStore, n: int = 100) -> Batch:
    jobs = await store.claim_batch("test/0", 120, n)
    return Batch(jobs[0].batch_key, jobs, None, time.monotonic() + 60)


async def states(store: JobStore, batch: Batch) -> list[Job]:
    return [job for job in [await store.get_job(j.id) for j in batch.jobs] if job is not None]


async def test_each_job_gets_its_own_outcome(store: JobStore) -> None:
    def result(payload: Payload) -> sfmc.Outcome:
        return [
            sfmc.Delivered(),
            sfmc.Dead("SFMC row error: bad Email", {"Email": "x"}),
            sfmc.Retry("SFMC answered 500 Internal Server Error"),
        ][payload["n"] % 3]

    action = rows_action(result=result)
    await store.enqueue([new_job("s", action, n) for n in range(3)])
    worker = make_worker(store, ("s", action))
    batch = await claim(store)
    decisions = await worker.deliver("test/0", batch)
    assert [d.kind for d in decisions] == [Kind.DELIVERED, Kind.DEAD, Kind.RETRY]
    delivered, dead, retry = await states(store, batch)
    assert delivered.state is JobState.DELIVERED
    assert (dead.state, dead.dead_reason, dead.sent_row) == (JobState.DEAD, "SFMC row error: bad Email", {"Email": "x"})
    assert retry.state is JobState.PENDING and retry.last_error == "SFMC answered 500 Internal Server Error"
    assert retry.available_at >= retry.updated_at + timedelta(seconds=29)
    assert action.calls == [[job.payload for job in batch.jobs]]
    assert worker.counts == {"delivered": 1, "dead": 1, "retry": 1}
    registry = worker.metrics.registry
    assert registry is not None
    assert (
        registry.get_sample_value(
            "sfmc_actions_jobs_dead_total", {"destination": "default", "subscription": "s", "action": "fakeRows"}
        )
        == 1
    )


async def test_throttled_jobs_are_given_back_with_their_attempt(store: JobStore) -> None:
    action = rows_action(result=lambda p: sfmc.Retry(THROTTLED, 2.0, status=429))
    await store.enqueue([new_job("s", action, n) for n in range(2)])
    worker = make_worker(store, ("s", action))
    batch = await claim(store)
    assert all(job.attempts == 1 for job in batch.jobs)
    await worker.deliver("test/0", batch)
    for job in await states(store, batch):
        assert (job.state, job.attempts, job.lease_owner) == (JobState.PENDING, 0, None)
    assert worker.counts == {"throttled": 2}


async def test_jobs_of_a_subscription_not_in_the_config_wait_and_are_not_sent(store: JobStore) -> None:
    action = rows_action()
    await store.enqueue([new_job("removed", action, 1)])
    worker = make_worker(store, ("s", action), unroutable_delay=60)
    batch = await claim(store)
    await worker.deliver("test/0", batch)
    (job,) = await states(store, batch)
    assert job.state is JobState.PENDING
    assert "'removed' is not an enabled subscription in this worker's config" in (job.last_error or "")
    assert job.available_at >= job.updated_at + timedelta(seconds=59)
    assert action.calls == []


async def test_jobs_for_another_tenant_are_not_sent(store: JobStore) -> None:
    action = rows_action()
    await store.enqueue([new_job("s", action, 1, tenant="someone-else")])
    worker = make_worker(store, ("s", action))
    batch = await claim(store)
    await worker.deliver("test/0", batch)
    (job,) = await states(store, batch)
    assert job.state is JobState.PENDING and "tenant 'someone-else'" in (job.last_error or "")
    assert action.calls == []


async def test_an_action_that_raises_retries_its_jobs(store: JobStore, caplog: pytest.LogCaptureFixture) -> None:
    def boom(payload: Payload) -> sfmc.Outcome:
        raise RuntimeError("bug")

    action = rows_action(result=boom)
    await store.enqueue([new_job("s", action, 1)])
    batch = await claim(store)
    with caplog.at_level(logging.ERROR):
        await make_worker(store, ("s", action)).deliver("test/0", batch)
    (job,) = await states(store, batch)
    assert job.state is JobState.PENDING and job.last_error == "internal error while sending: RuntimeError: bug"
    assert "raised while sending" in caplog.text


async def test_a_send_past_its_budget_is_cut_off_before_the_lease_ends(store: JobStore) -> None:
    action = rows_action(delay=5.0)
    await store.enqueue([new_job("s", action, 1)])
    batch = await claim(store)
    batch.send_by = time.monotonic() + 0.2
    started = time.monotonic()
    await make_worker(store, ("s", action)).deliver("test/0", batch)
    assert time.monotonic() - started < 2.0
    (job,) = await states(store, batch)
    assert job.state is JobState.PENDING and "cut off before the jobs' lease ran out" in (job.last_error or "")


async def test_subscriptions_sharing_a_key_but_not_hooks_are_sent_apart(store: JobStore) -> None:
    action = rows_action()
    plans = SendPlans.build(
        [
            subscription("a", action, {"onMappingSave": {"outputs": {"id": "1"}}}),
            subscription("b", action, {"onMappingSave": {"outputs": {"id": "2"}}}),
        ],
        {},
    )
    worker = Worker(store, None, plans, WorkerSetup("t", FAST, metrics=Metrics(CollectorRegistry())))  # type: ignore[arg-type]
    await store.enqueue([new_job("a", action, 1), new_job("b", action, 2), new_job("a", action, 3)])
    await worker.deliver("test/0", await claim(store))
    assert sorted(len(call) for call in action.calls) == [1, 2]
    assert len(action.hooks_seen) == 2


async def test_refused_credentials_pause_the_tenant_and_are_logged_once(
    store: JobStore, caplog: pytest.LogCaptureFixture
) -> None:
    action = rows_action(
        result=lambda p: sfmc.Retry("SFMC refused the credentials (HTTP 401): invalid_client", auth_failed=True)
    )
    await store.enqueue([new_job("s", action, n) for n in range(2)])
    worker = make_worker(store, ("s", action), auth_pause=30)
    with caplog.at_level(logging.ERROR):
        for _ in range(2):
            jobs = await store.claim_batch("test/0", 120, 1)
            await worker.deliver("test/0", Batch(jobs[0].batch_key, jobs, None, time.monotonic() + 60))
    assert worker.limiter.paused_for() > 25
    errors = [r for r in caplog.records if "refused the credentials" in r.getMessage()]
    assert len(errors) == 1


async def test_run_delivers_everything_then_stops_cleanly(store: JobStore) -> None:
    rows, events = rows_action(batch_size=10), per_event_action()
    await store.enqueue([new_job("rows", rows, n) for n in range(25)] + [new_job("ev", events, n) for n in range(7)])
    worker = make_worker(store, ("rows", rows), ("ev", events))
    task = asyncio.create_task(worker.run())
    await _until(lambda: worker.counts["delivered"] == 32)
    worker.stop()
    await asyncio.wait_for(task, 5)
    stats = await store.stats()
    assert stats.total(JobState.DELIVERED) == 32 and stats.total(JobState.CLAIMED) == 0
    assert all(len(call) <= 10 for call in rows.calls) and sum(map(len, rows.calls)) == 25
    assert len(events.calls) == 7


async def test_stop_finishes_a_send_in_flight(store: JobStore) -> None:
    action = rows_action(delay=0.5, batch_size=1)
    await store.enqueue([new_job("s", action, 1)])
    worker = make_worker(store, ("s", action))
    task = asyncio.create_task(worker.run())
    await _until(lambda: bool(action.calls))
    worker.stop()
    await asyncio.wait_for(task, 5)
    assert (await store.stats()).total(JobState.DELIVERED) == 1


async def test_stop_releases_a_batch_still_waiting_to_fill(store: JobStore) -> None:
    action = rows_action(batch_size=50)
    await store.enqueue([new_job("s", action, n) for n in range(3)])
    worker = make_worker(store, ("s", action), flush_interval=30.0)
    task = asyncio.create_task(worker.run())
    await _until_claimed(store, 3)
    worker.stop()
    await asyncio.wait_for(task, 5)
    assert action.calls == []
    for job_id in range(1, 4):
        job = await store.get_job(job_id)
        assert job is not None and (job.state, job.attempts) == (JobState.PENDING, 0)


async def test_a_send_past_the_grace_period_is_cancelled_and_released(store: JobStore) -> None:
    action = rows_action(delay=30.0, batch_size=1)
    await store.enqueue([new_job("s", action, 1)])
    worker = make_worker(store, ("s", action), shutdown_grace=0.2)
    task = asyncio.create_task(worker.run())
    await _until(lambda: bool(action.calls))
    worker.stop()
    await asyncio.wait_for(task, 5)
    job = await store.get_job(1)
    assert job is not None and (job.state, job.attempts) == (JobState.PENDING, 0)


async def test_a_second_stop_cancels_sends_at_once(store: JobStore) -> None:
    action = rows_action(delay=30.0, batch_size=1)
    await store.enqueue([new_job("s", action, 1)])
    worker = make_worker(store, ("s", action), shutdown_grace=60)
    task = asyncio.create_task(worker.run())
    await _until(lambda: bool(action.calls))
    worker.stop()
    await asyncio.sleep(0.1)
    assert not task.done()  # the first stop waits for the send
    started = time.monotonic()
    worker.stop()
    await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 2
    job = await store.get_job(1)
    assert job is not None and (job.state, job.attempts) == (JobState.PENDING, 0)


async def test_a_paused_tenant_claims_nothing(store: JobStore) -> None:
    action = rows_action(batch_size=1)
    await store.enqueue([new_job("s", action, 1)])
    limiter = TenantLimiter("t", 2)
    limiter.pause(0.5)
    worker = make_worker(store, ("s", action))
    worker.limiter = limiter
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.3)
    assert (await store.stats()).total(JobState.PENDING) == 1  # not even claimed while paused
    await _until(lambda: worker.counts["delivered"] == 1)
    worker.stop()
    await asyncio.wait_for(task, 5)


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _until_claimed(store: JobStore, count: int) -> None:
    deadline = time.monotonic() + 5
    while (await store.stats()).total(JobState.CLAIMED) < count:
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_stop_on_a_store_that_cannot_write_ends_cleanly(
    store: JobStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 11: a read-only store made SIGTERM end with the release's OperationalError traceback."""
    action = rows_action(batch_size=1)
    worker = make_worker(store, ("s", action))
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.1)
    releases: list[str] = []

    async def refuse(owner: str, job_ids: object = None) -> int:
        releases.append(owner)
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store, "release", refuse)
    worker.stop()
    await asyncio.wait_for(task, 5)  # no exception out of run()
    assert len(releases) == 1  # the other owners would fail (or wait out the busy timeout) the same way
    assert any(
        "could not release the claims" in r.getMessage() and "readonly" in r.getMessage() for r in caplog.records
    )
