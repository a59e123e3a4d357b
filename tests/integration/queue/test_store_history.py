"""The delivery history on a real SQLite file and the real PostgreSQL: every state-changing store method counts its
outcome exactly once, in the transaction that records it; error groups; totals over a window."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from sfmc_actions.queue import JobDead, JobDelivered, JobRetry, JobStore, NewJob, RejectedEvent
from sfmc_actions.queue.history import SourceCount, subscription_report
from sfmc_actions.queue.jobs import DoubtRetry, EntryAnswer
from tests.integration.queue.conftest import FakeClock


def job(n: int, subscription: str = "orders", dead_reason: str | None = None, action: str = "dataExtension") -> NewJob:
    return NewJob(
        subscription=subscription,
        action=action,
        batch_key=f"{action}:k",
        tenant="t",
        message_id=f"m{n}",
        event={"messageId": f"m{n}", "n": n},
        payload={"n": n},
        dead_reason=dead_reason,
    )


async def totals_of(store: JobStore, clock: FakeClock) -> dict[str, dict[str, int]]:
    found = await store.history.totals(clock.now - timedelta(hours=1))
    return {
        t.subscription: {
            k: getattr(t, k)
            for k in ("invalid", "delivered", "retried", "throttled", "dead", "in_doubt")
            if getattr(t, k)
        }
        for t in found
    }


async def test_each_outcome_is_counted_once(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([job(n) for n in range(6)] + [job(9, dead_reason="mapping: email is missing")])
    claimed = await store.claim_batch("w", 60, 10)
    assert len(claimed) == 6
    clock.advance(2)
    ids = [j.id for j in claimed]
    await store.apply_outcomes(
        "w",
        [
            (ids[0], JobDelivered()),
            (ids[1], JobDelivered()),
            (ids[2], JobRetry(clock.now, "SFMC 500: try again")),
            (ids[3], JobDead('SFMC 400 errorcode 10006: Unable to save rows for "x@example.com"')),
        ],
    )
    await store.apply_outcomes("w", [(ids[0], JobDelivered())])  # not held any more: not counted again
    await store.release("w", [ids[4]])  # given back unattempted: not an outcome
    await store.mark_sending("w", [ids[5]])
    await store.release("w")  # marked, then cut short: in doubt at its next claim
    again = await store.claim_batch("w2", 60, 10)
    assert {j.id for j in again} >= {ids[5]}
    assert next(j for j in again if j.id == ids[5]).in_doubt
    counts = await totals_of(store, clock)
    assert counts == {"orders": {"invalid": 1, "delivered": 2, "retried": 1, "dead": 1, "in_doubt": 1}}

    totals = (await store.history.totals(clock.now - timedelta(hours=1)))[0]
    assert sum(totals.latency_buckets.values()) == 2
    assert totals.latency_buckets == {2500.0: 2}  # 2 s from accepted to delivered
    assert totals.p50 is not None and 1000 < totals.p50 <= 2500


async def test_journey_paths_are_counted(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([job(n, "entries", action="apiEvent") for n in range(3)])
    claimed = await store.claim_batch("w", 60, 10)
    ids = [j.id for j in claimed]
    await store.mark_sending("w", ids)
    await store.entries.record("w", [EntryAnswer(ids[0], "r1", "i1")])
    await store.apply_outcomes("w", [(ids[0], JobDelivered())])
    await store.entries.retry_in_doubt("w", [DoubtRetry(ids[1], clock.now, "answer lost", clock.now)])
    clock.advance(61)
    assert await store.entries.dead_letter([("i1", "SFMC: errored")]) == [ids[0]]
    counts = await totals_of(store, clock)
    # the entry SFMC reported errored is dead, and no longer delivered; the lost answer is a retry in doubt
    assert counts == {"entries": {"retried": 1, "dead": 1, "in_doubt": 1}}


async def test_sources_and_buffered_counts(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue(
        [job(1)], [RejectedEvent("no type", "{}")], source=SourceCount("web", accepted=2, rejected=1, unmatched=1)
    )
    await store.enqueue([], source=SourceCount("web", accepted=1, unmatched=1))
    store.history.count("default", "orders", "throttled", 3)
    store.history.count("default", "", "sfmc_requests", 5)
    store.history.count("default", "", "token_requests")
    await store.history.flush()
    await store.history.flush()  # nothing left: nothing written twice
    sources = await store.history.source_totals(clock.now - timedelta(minutes=5))
    assert [(s.source, s.accepted, s.rejected, s.unmatched) for s in sources] == [("web", 3, 1, 2)]
    totals = {t.subscription: t for t in await store.history.totals(clock.now - timedelta(minutes=5))}
    assert totals["orders"].throttled == 3
    assert (totals[""].sfmc_requests, totals[""].token_requests) == (5, 1)
    with pytest.raises(ValueError, match="throttled, sfmc_requests or token_requests"):
        store.history.count("default", "orders", "delivered")


async def test_error_groups(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([job(n) for n in range(5)])
    claimed = await store.claim_batch("w", 60, 10)
    outcomes = [
        (
            j.id,
            JobDead(
                f'errorcode 10006: Unable to save rows for "user{j.id}@example.com" ({j.id})',
                {"row": j.id},
                {"status": 400, "body": {"errorcode": 10006, "row": j.id}},
            ),
        )
        for j in claimed
    ]
    await store.apply_outcomes("w", outcomes)
    assert await store.history.fold_errors() == 5
    assert await store.history.fold_errors() == 0
    groups = await store.history.error_groups(clock.now - timedelta(hours=1))
    assert len(groups) == 1
    group = groups[0]
    assert (group.subscription, group.count, group.destination) == ("orders", 5, "default")
    assert "10006" in group.error and "@example.com" not in group.error
    assert len(group.samples) == 3
    assert [s.job_id for s in group.samples] == sorted((j.id for j in claimed), reverse=True)[:3]
    assert group.samples[0].event["messageId"].startswith("m")
    assert group.samples[0].request == {"row": group.samples[0].job_id}
    assert group.samples[0].response == {"status": 400, "body": {"errorcode": 10006, "row": group.samples[0].job_id}}
    assert sorted(await store.history.group_jobs(group.id)) == sorted(j.id for j in claimed)


async def test_series_and_report(store: JobStore, clock: FakeClock) -> None:
    start = clock.now
    for _ in range(3):
        await store.enqueue([job(1)])
        claimed = await store.claim_batch("w", 60, 10)
        await store.apply_outcomes("w", [(j.id, JobDelivered()) for j in claimed])
        clock.advance(60)
    points = await store.history.series(start, clock.now, 120)
    assert [p.delivered for p in points] == [2, 1]
    report = subscription_report(await store.history.totals(start), {("default", "orders"): 4})
    assert report[0]["subscription"] == "orders" and report[0]["delivered"] == 3 and report[0]["waiting"] == 4
    assert report[0]["p99_ms"] is not None
    facts = await store.history.store_facts()
    assert facts.store_bytes > 0 and facts.oldest_job_at == start


async def test_outcomes_and_error_groups_are_counted_for_the_jobs_destination(
    store: JobStore, clock: FakeClock
) -> None:
    emea, us = (dataclasses.replace(job(n), destination=name) for n, name in ((1, "emea"), (2, "us")))
    await store.enqueue([emea, us])
    for destination, outcome in (("emea", JobDelivered()), ("us", JobDead("SFMC 400: bad row"))):
        [claimed] = await store.claim_batch("w", 60, 10, destination=destination)
        clock.advance(1)
        await store.apply_outcomes("w", [(claimed.id, outcome)])
    await store.history.fold_errors()
    found = {
        (t.destination, t.subscription): (t.delivered, t.dead)
        for t in await store.history.totals(clock.now - timedelta(hours=1))
    }
    assert found == {("emea", "orders"): (1, 0), ("us", "orders"): (0, 1)}
    [group] = await store.history.error_groups(clock.now - timedelta(hours=1))
    assert (group.destination, group.subscription) == ("us", "orders")
