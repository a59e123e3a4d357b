"""The JobStore contract for sends that must not be repeated (journey entries), against both stores.

A worker marks jobs before sending them (`mark_sending`); an outcome or a release by id clears the mark. A claim
that finds a mark nobody cleared (the previous holder died mid-send) returns the job `in_doubt`, and the job
stays in doubt, across releases and expired leases, until an outcome is recorded.
"""

from __future__ import annotations

from sfmc_actions.queue import JobDead, JobDelivered, JobRetry, JobState, JobStore, NewJob, open_store
from tests.integration.queue.conftest import FakeClock, raw_execute


def journey(n: int) -> NewJob:
    event = {"type": "track", "event": "Signed Up", "messageId": f"m-{n}", "userId": f"u{n}"}
    payload = {"eventDefinitionKey": "APIEvent-1", "contactKey": f"u{n}", "data": {}}
    return NewJob("welcome", "apiEvent", "apiEvent", "tenant-1", f"m-{n}", event, payload)


async def test_a_job_marked_sending_by_a_worker_that_died_is_claimed_in_doubt(
    store: JobStore, clock: FakeClock
) -> None:
    await store.enqueue([journey(1), journey(2)])
    first = await store.claim_batch("died", lease_seconds=10, max_jobs=10)
    assert [job.in_doubt for job in first] == [False, False]

    assert await store.mark_sending("died", [first[0].id]) == {first[0].id}
    clock.advance(11)  # the lease runs out: the worker never recorded SFMC's answer
    again = {job.id: job for job in await store.claim_batch("next", lease_seconds=10, max_jobs=10)}

    assert again[first[0].id].in_doubt and again[first[0].id].attempts == 2
    assert not again[first[1].id].in_doubt  # claimed but never marked: it was not sent
    stored = await store.get_job(first[0].id)
    assert stored is not None and stored.in_doubt


async def test_delivered_or_dead_settle_the_doubt_a_retry_keeps_it(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([journey(n) for n in range(3)])
    jobs = await store.claim_batch("w1", 10, 10)
    ids = [job.id for job in jobs]
    await store.mark_sending("w1", ids)
    clock.advance(11)
    assert all(job.in_doubt for job in await store.claim_batch("w2", 10, 10))

    await store.mark_sending("w2", ids)  # the resend policy sends them again
    result = await store.apply_outcomes(
        "w2", [(ids[0], JobDelivered()), (ids[1], JobRetry(clock.now, "503")), (ids[2], JobDead("in doubt: ..."))]
    )
    assert result.applied == 3

    clock.advance(1)
    [retried] = await store.claim_batch("w3", 10, 10)
    # The 503 says only that w2's resend was not processed; whether the dead worker's send was stays unknown.
    assert retried.id == ids[1] and retried.in_doubt
    for job_id in (ids[0], ids[2]):
        settled = await store.get_job(job_id)
        assert settled is not None and not settled.in_doubt
    await store.apply_outcomes("w3", [(retried.id, JobRetry(clock.now, "not sent: unknown subscription"))])
    clock.advance(1)
    [again] = await store.claim_batch("w4", 10, 10)
    assert again.in_doubt and again.attempts == 4  # a retry with no mark of its own leaves the doubt as it was
    await store.mark_sending("w4", [again.id])
    await store.apply_outcomes("w4", [(again.id, JobRetry(clock.now, "503"))])
    clock.advance(1)
    [fresh] = await store.claim_batch("w5", 10, 10)
    assert fresh.in_doubt  # a marked attempt's retry clears the mark, not the doubt it inherited


async def test_release_by_id_clears_this_claims_mark_but_keeps_an_inherited_doubt(
    store: JobStore, clock: FakeClock
) -> None:
    await store.enqueue([journey(1), journey(2)])
    one, two = await store.claim_batch("died", 10, 10)
    await store.mark_sending("died", [one.id])
    clock.advance(11)
    await store.claim_batch("w2", 10, 10)
    await store.mark_sending("w2", [two.id])  # sent by w2 and throttled (429): SFMC did not process it

    assert await store.release("w2", [one.id, two.id]) == 2  # e.g. stopping: given back by id

    again = {job.id: job for job in await store.claim_batch("w3", 10, 10)}
    assert again[one.id].in_doubt  # the dead worker's send is still in doubt
    assert not again[two.id].in_doubt


async def test_releasing_all_at_shutdown_keeps_marked_jobs_in_doubt(store: JobStore) -> None:
    await store.enqueue([journey(1), journey(2)])
    sending, waiting = await store.claim_batch("stopping", 60, 10)
    await store.mark_sending("stopping", [sending.id])  # its send is cut short by the shutdown

    assert await store.release("stopping") == 2

    again = {job.id: job for job in await store.claim_batch("next", 60, 10)}
    assert again[sending.id].in_doubt and not again[waiting.id].in_doubt
    assert again[sending.id].attempts == 1  # released claims give their attempt back, as always


async def test_only_the_holder_of_a_live_lease_can_mark(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([journey(1), journey(2)])
    one, two = await store.claim_batch("w1", 10, 10)

    assert await store.mark_sending("w2", [one.id, two.id]) == set()  # not its claims
    assert await store.mark_sending("w1", []) == set()
    assert await store.mark_sending("w1", [one.id, 999_999]) == {one.id}
    clock.advance(11)
    assert await store.mark_sending("w1", [two.id]) == set()  # the lease ran out: must not send any more

    again = {job.id: job for job in await store.claim_batch("w3", 10, 10)}
    assert again[one.id].in_doubt and not again[two.id].in_doubt


async def test_in_doubt_survives_expired_leases_until_an_outcome(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([journey(1)])
    [job] = await store.claim_batch("died", 10, 10)
    await store.mark_sending("died", [job.id])
    for owner in ("crashed-too", "and-again"):
        clock.advance(11)
        [again] = await store.claim_batch(owner, 10, 10)
        assert again.in_doubt  # nobody recorded anything: still in doubt

    await store.apply_outcomes("and-again", [(job.id, JobDead("in doubt: the worker stopped mid-send"))])
    [dead] = await store.list_dead(reason_contains="in doubt")
    assert dead.id == job.id and dead.state is JobState.DEAD and not dead.in_doubt


async def test_a_store_from_before_the_sending_marks_is_migrated(store_url: str, clock: FakeClock) -> None:
    store = await open_store(store_url, clock=clock)
    try:
        await store.enqueue([journey(1)])
        if store_url.startswith("sqlite"):  # SQLite refuses to drop a column a trigger names (history, 0031)
            await raw_execute(store_url, "DROP TRIGGER jobs_history_in_doubt")
        for statement in (
            "ALTER TABLE jobs DROP COLUMN sending_at",
            "ALTER TABLE jobs DROP COLUMN in_doubt",
            "DELETE FROM schema_migrations WHERE version = 2",
        ):
            await raw_execute(store_url, statement)
        await store.migrate()
        [job] = await store.claim_batch("w1", 10, 10)
        assert not job.in_doubt
        assert await store.mark_sending("w1", [job.id]) == {job.id}
        clock.advance(11)
        [again] = await store.claim_batch("w2", 10, 10)
        assert again.in_doubt
    finally:
        await store.close()


async def test_a_recorded_retry_of_a_marked_send_is_not_in_doubt(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([journey(1)])
    [job] = await store.claim_batch("w1", 10, 10)
    await store.mark_sending("w1", [job.id])
    await store.apply_outcomes("w1", [(job.id, JobRetry(clock.now, "SFMC answered 503"))])  # SFMC said: not done
    clock.advance(1)
    [again] = await store.claim_batch("w2", 10, 10)
    assert again.id == job.id and not again.in_doubt


async def test_an_in_doubt_dead_letter_can_be_marked_entered(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([journey(1), journey(2), journey(3)])
    jobs = await store.claim_batch("w", 10, 10)
    await store.apply_outcomes(
        "w",
        [
            (jobs[0].id, JobDead("in doubt: the answer was lost after sending")),
            (jobs[1].id, JobDead("SFMC refused it: unknown event definition")),  # not in doubt
            (jobs[2].id, JobDelivered()),
        ],
    )
    assert await store.mark_entered([j.id for j in jobs] + [9999]) == [jobs[0].id]
    entered = await store.get_job(jobs[0].id)
    assert entered is not None and entered.state is JobState.DELIVERED and entered.delivered_at is None
    assert [d.id for d in await store.list_dead()] == [jobs[1].id]
    assert await store.mark_entered([jobs[0].id]) == []  # once


async def test_waiting_counts_only_pending_and_claimed_jobs(store: JobStore) -> None:
    await store.enqueue([journey(1), journey(2), journey(3)])
    [first, *_] = await store.claim_batch("w", 10, 1)
    await store.apply_outcomes("w", [(first.id, JobDelivered())])
    await store.claim_batch("w", 10, 1)
    waiting = await store.waiting()
    assert sorted((c.state.value, c.count) for c in waiting.counts) == [("claimed", 1), ("pending", 1)]
    assert waiting.last_errors == () and waiting.oldest_pending_at is not None
    full = await store.stats()
    assert full.total(JobState.PENDING) == 1 and full.total(JobState.DELIVERED) == 1
