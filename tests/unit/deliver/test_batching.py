"""Batch assembly over a real SQLite store: batch sizes, the flush interval, top-ups, per-event actions."""

from __future__ import annotations

import asyncio
import time

import pytest

from sfmc_actions.deliver.batching import (
    DEFAULT_LEASE,
    LEASE_MARGIN,
    PEEK_CAP,
    PER_EVENT_CLAIM,
    BatchAssembler,
    SendPlans,
    WorkSignal,
    send_plan_for,
)
from sfmc_actions.queue import JobRetry, JobStore
from sfmc_actions.sfmc.actions import get_action
from tests.unit.deliver.fakes import new_job, per_event_action, rows_action, subscription


def never() -> bool:
    return False


def test_routes_size_claims_and_leases_per_action() -> None:
    rows = send_plan_for(subscription("orders", get_action("dataExtension")), None)
    assert (rows.claim_size, rows.waits_for_more, rows.lease) == (50, True, DEFAULT_LEASE)
    contact = send_plan_for(subscription("contacts", get_action("contact")), None)
    assert (contact.claim_size, contact.waits_for_more) == (PER_EVENT_CLAIM, False)
    small = send_plan_for(subscription("orders", get_action("dataExtension")), 5)
    assert small.claim_size == 5 and small.action.batch_size == 5
    async_rows = send_plan_for(subscription("bulk", get_action("asyncDataExtension")), None)
    assert async_rows.lease > 900  # covers the wait for SFMC's async job (PollPolicy.timeout)
    with pytest.raises(ValueError, match="32000"):
        send_plan_for(subscription("bulk", get_action("asyncDataExtension")), 40_000)


def test_disabled_subscriptions_have_no_route_and_peek_takes_the_largest_claim() -> None:
    plans = SendPlans.build(
        [
            subscription("a", get_action("dataExtension")),
            subscription("b", get_action("contact")),
            subscription("off", get_action("contact"), enabled=False),
        ],
        {"a": 20},
    )
    assert plans.get("off") is None and plans.get("nope") is None and plans.get(None) is None
    assert plans.peek_size == 20
    assert len(plans) == 2
    bulk = SendPlans.build([subscription("bulk", get_action("asyncDataExtension"))], {})
    assert bulk.peek_size == PEEK_CAP  # never 28,000 at once before the key is known


async def test_a_full_batch_goes_without_waiting(store: JobStore) -> None:
    action = rows_action(batch_size=50)
    await store.enqueue([new_job("s", action, n) for n in range(60)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", action)], {}), WorkSignal(), 5.0)
    started = time.monotonic()
    batch = await assembler.next_batch("w", never)
    assert batch is not None and len(batch.jobs) == 50
    assert time.monotonic() - started < 1.0
    assert {job.batch_key for job in batch.jobs} == {"fakeRows:key:T"}
    assert batch.budget == pytest.approx(DEFAULT_LEASE - LEASE_MARGIN, abs=1.5)


async def test_a_partial_batch_waits_for_the_flush_interval(store: JobStore) -> None:
    action = rows_action(batch_size=50)
    await store.enqueue([new_job("s", action, n) for n in range(3)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", action)], {}), WorkSignal(), 0.3)
    started = time.monotonic()
    batch = await assembler.next_batch("w", never)
    waited = time.monotonic() - started
    assert batch is not None and len(batch.jobs) == 3
    assert 0.2 <= waited < 1.0  # about flush_interval since the jobs were accepted


async def test_jobs_arriving_during_the_wait_join_the_batch(store: JobStore) -> None:
    action = rows_action(batch_size=50)
    signal = WorkSignal()
    await store.enqueue([new_job("s", action, n) for n in range(3)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", action)], {}), signal, 0.5)

    async def more() -> None:
        await asyncio.sleep(0.1)
        await store.enqueue([new_job("s", action, n) for n in range(3, 8)] + [new_job("s", action, 99, "key:Other")])
        signal.notify()

    batch, _ = await asyncio.gather(assembler.next_batch("w", never), more())
    assert batch is not None
    assert sorted(job.payload["n"] for job in batch.jobs) == list(range(8))  # not the other key's job


async def test_a_batch_that_fills_up_during_the_wait_goes_at_once(store: JobStore) -> None:
    action = rows_action(batch_size=10)
    signal = WorkSignal()
    await store.enqueue([new_job("s", action, n) for n in range(3)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", action)], {}), signal, 5.0)

    async def more() -> None:
        await asyncio.sleep(0.1)
        await store.enqueue([new_job("s", action, n) for n in range(3, 20)])
        signal.notify()

    started = time.monotonic()
    batch, _ = await asyncio.gather(assembler.next_batch("w", never), more())
    assert batch is not None and len(batch.jobs) == 10
    assert time.monotonic() - started < 2.0


async def test_retried_jobs_do_not_wait_again(store: JobStore) -> None:
    action = rows_action(batch_size=50)
    await store.enqueue([new_job("s", action, n) for n in range(2)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", action)], {}), WorkSignal(), 5.0)
    first = await store.claim_batch("w", 60, 50)
    now = first[0].created_at
    await store.apply_outcomes("w", [(job.id, JobRetry(now, "boom")) for job in first])
    started = time.monotonic()
    batch = await assembler.next_batch("w", never)
    assert batch is not None and len(batch.jobs) == 2 and all(job.attempts == 2 for job in batch.jobs)
    assert time.monotonic() - started < 1.0


async def test_per_event_actions_never_wait(store: JobStore) -> None:
    action = per_event_action()
    await store.enqueue([new_job("c", action, n) for n in range(3)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("c", action)], {}), WorkSignal(), 5.0)
    started = time.monotonic()
    batch = await assembler.next_batch("w", never)
    assert batch is not None and len(batch.jobs) == 3
    assert time.monotonic() - started < 1.0


async def test_a_key_with_a_larger_batch_is_topped_up(store: JobStore) -> None:
    rows, events = rows_action(batch_size=200), per_event_action()
    await store.enqueue([new_job("rows", rows, n) for n in range(150)])
    plans = SendPlans.build([subscription("rows", rows), subscription("events", events)], {})
    assert plans.peek_size == PEEK_CAP
    batch = await BatchAssembler(store, plans, WorkSignal(), 0.01).next_batch("w", never)
    assert batch is not None and len(batch.jobs) == 150


async def test_a_key_with_a_smaller_batch_takes_what_the_first_claim_got(store: JobStore) -> None:
    rows, events = rows_action(batch_size=50), per_event_action()
    await store.enqueue([new_job("events", events, n) for n in range(30)])
    plans = SendPlans.build([subscription("rows", rows), subscription("events", events)], {})
    batch = await BatchAssembler(store, plans, WorkSignal(), 5.0).next_batch("w", never)
    assert batch is not None and len(batch.jobs) == 30  # one claim; the action sends them one by one


async def test_stopping_cuts_the_wait_short(store: JobStore) -> None:
    action = rows_action(batch_size=50)
    await store.enqueue([new_job("s", action, 1)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", action)], {}), WorkSignal(), 30.0)
    started = time.monotonic()
    batch = await assembler.next_batch("w", lambda: True)
    assert batch is not None and len(batch.jobs) == 1
    assert time.monotonic() - started < 1.0


async def test_nothing_to_claim(store: JobStore) -> None:
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", rows_action())], {}), WorkSignal(), 1.0)
    assert await assembler.next_batch("w", never) is None


async def test_jobs_of_an_unknown_subscription_come_back_as_they_are(store: JobStore) -> None:
    action = rows_action()
    await store.enqueue([new_job("gone", action, n) for n in range(2)])
    assembler = BatchAssembler(store, SendPlans.build([subscription("s", action)], {}), WorkSignal(), 30.0)
    batch = await assembler.next_batch("w", never)
    assert batch is not None and batch.plan is None and len(batch.jobs) == 2


async def test_signal_wakes_one_idle_waiter_at_a_time() -> None:
    signal = WorkSignal()
    waiters = [asyncio.create_task(signal.wait_idle(1.0)) for _ in range(3)]
    await asyncio.sleep(0)
    signal.notify_one()
    await asyncio.sleep(0.01)
    assert sum(w.done() for w in waiters) == 1
    signal.notify_all()
    assert await asyncio.gather(*waiters) == [True, True, True]


async def test_a_notify_with_no_waiter_is_kept_for_the_next_one() -> None:
    signal = WorkSignal()
    signal.notify_one()
    started = time.monotonic()
    assert await signal.wait_idle(5.0) is True
    assert time.monotonic() - started < 0.5
    assert await signal.wait_idle(0.05) is False
