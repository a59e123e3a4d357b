"""The JobStore contract for journey entries that settle their own doubt and for rows kept in order, against both
stores: the window of an entry's last send, SFMC's answer for it, errored entries made dead after delivery, and
jobs that wait for an earlier job of the same row."""

from __future__ import annotations

from datetime import timedelta

from sfmc_actions.queue import JobDead, JobDelivered, JobRetry, JobState, JobStore, NewJob
from sfmc_actions.queue.jobs import DoubtRetry, EntryAnswer, EntrySend
from tests.integration.queue.conftest import FakeClock

KEY = "apiEvent:event:APIEvent-1"


def entry(n: int, tenant: str = "tenant-1", key: str = KEY) -> NewJob:
    event = {"type": "track", "event": "Signed Up", "messageId": f"m-{n}", "userId": f"u{n}"}
    payload = {"eventDefinitionKey": key.rsplit(":", 1)[1], "contactKey": f"u{n}", "data": {}}
    return NewJob("welcome", "apiEvent", key, tenant, f"m-{n}", event, payload)


def row(n: int, order_key: str | None, exit_: bool = False) -> NewJob:
    event = {"type": "identify", "messageId": f"r-{n}", "userId": "u1", "traits": {"vip": not exit_}}
    payload = {"key": "Contacts", "keys": {"contactKey": "u1"}, "values": {"vip": not exit_}}
    return NewJob("vips", "dataExtension", "dataExtension:key:Contacts", "tenant-1", f"r-{n}", event, payload,
                  order_key=order_key)  # fmt: skip


async def test_a_lost_answer_keeps_its_sends_window_and_comes_back_in_doubt(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([entry(1), entry(2)])
    one, two = await store.claim_batch("w1", 60, 10)
    sent_from = clock.now
    assert await store.mark_sending("w1", [one.id, two.id]) == {one.id, two.id}
    clock.advance(3)
    retry = [DoubtRetry(one.id, clock.now + timedelta(seconds=60), "answer lost: ReadTimeout", clock.now)]
    assert (await store.entries.retry_in_doubt("w1", retry)).applied == 1
    assert (await store.entries.retry_in_doubt("other", [DoubtRetry(two.id, clock.now, "x", clock.now)])).lost == (
        two.id,
    )

    sends = await store.entries.sends([one.id, two.id, 999])
    assert sends[one.id] == EntrySend(sent_from, sent_from + timedelta(seconds=3))
    assert sends[two.id] == EntrySend(sent_from, None) and 999 not in sends
    lost = await store.get_job(one.id)
    assert lost is not None and lost.state is JobState.PENDING and lost.last_error == "answer lost: ReadTimeout"
    assert await store.claim_batch("w2", 60, 10, KEY) == []  # not before its time
    clock.advance(60)
    again = {job.id: job for job in await store.claim_batch("w2", 60, 10)}
    assert again[one.id].in_doubt and again[one.id].attempts == 2

    await store.mark_sending("w2", [one.id])  # sent again (SFMC did not have it): a new window
    assert (await store.entries.sends([one.id]))[one.id] == EntrySend(clock.now, None)


async def test_sfmcs_answers_are_kept_and_found_by_key_and_time(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([entry(1), entry(2), entry(3, key="apiEvent:event:APIEvent-2"), entry(4, tenant="t-2")])
    start = clock.now
    jobs = await store.claim_batch("w1", 60, 2, KEY)
    await store.mark_sending("w1", [job.id for job in jobs])
    answers = [EntryAnswer(jobs[0].id, "req-1", "inst-1"), EntryAnswer(jobs[1].id, "req-1", "inst-2")]
    assert await store.entries.record("someone-else", answers) == 0
    assert await store.entries.record("w1", answers) == 2
    await store.apply_outcomes("w1", [(job.id, JobDelivered()) for job in jobs])
    for key in ("apiEvent:event:APIEvent-2", KEY):
        clock.advance(10)
        others = await store.claim_batch("w1", 60, 10, key if key != KEY else None)
        await store.mark_sending("w1", [job.id for job in others])
        await store.entries.record("w1", [EntryAnswer(job.id, f"req-{job.id}", f"inst-{job.id}") for job in others])

    assert (await store.entries.sends([jobs[0].id]))[jobs[0].id] == EntrySend(start, None, "req-1", "inst-1")
    window = (start - timedelta(seconds=1), start + timedelta(seconds=1))
    assert await store.entries.instance_ids(KEY, *window) == {"inst-1", "inst-2"}
    assert await store.entries.instance_ids(KEY, start + timedelta(seconds=1), start + timedelta(seconds=15)) == set()
    keys = await store.entries.recent_keys("tenant-1", start)
    assert [(k.batch_key, k.first_sent) for k in keys] == [
        (KEY, start),
        ("apiEvent:event:APIEvent-2", start + timedelta(seconds=10)),
    ]
    assert keys[0].job_id in {job.id for job in jobs}
    assert [k.batch_key for k in await store.entries.recent_keys("tenant-1", start + timedelta(seconds=11))] == []
    [other_tenant] = await store.entries.recent_keys("t-2", start)  # entry 4, sent last
    assert (other_tenant.batch_key, other_tenant.first_sent) == (KEY, start + timedelta(seconds=20))


async def test_an_entry_that_ends_errored_is_made_dead_once(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([entry(1), entry(2), entry(3)])
    one, two, three = await store.claim_batch("w1", 60, 10)
    await store.mark_sending("w1", [one.id, two.id, three.id])
    await store.entries.record("w1", [EntryAnswer(j.id, "req", f"inst-{j.id}") for j in (one, two, three)])
    await store.apply_outcomes("w1", [(one.id, JobDelivered()), (two.id, JobDelivered())])  # three: still claimed

    errored = [(f"inst-{one.id}", "SFMC: Contact is inactive"), (f"inst-{three.id}", "x"), ("unknown", "y")]
    assert await store.entries.dead_letter(errored) == [one.id]
    assert await store.entries.dead_letter(errored) == []  # already dead
    [dead] = await store.list_dead()
    assert dead.id == one.id and dead.dead_reason == "SFMC: Contact is inactive"
    assert dead.sent_row == {"eventDefinitionKey": "APIEvent-1", "contactKey": "u1", "data": {}}
    still = await store.get_job(three.id)
    assert still is not None and still.state is JobState.CLAIMED


async def test_a_job_waits_for_an_earlier_job_of_its_row(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([row(1, "r-x"), row(2, "r-x", exit_=True), row(3, "r-y", exit_=True), row(4, None)])
    enter, exit_, other, unordered = await store.claim_batch("w1", 60, 10)
    busy = clock.now + timedelta(seconds=1)
    assert await store.row_order.waiting_before("w1", [enter.id, exit_.id, other.id, unordered.id], busy) == {}

    # The enter failed (retry in 30 s) while the exit is in another batch: the exit waits for the enter's retry.
    await store.release("w1", [exit_.id, other.id, unordered.id])
    await store.apply_outcomes("w1", [(enter.id, JobRetry(clock.now + timedelta(seconds=30), "503"))])
    batch = await store.claim_batch("w2", 60, 10)
    assert [job.id for job in batch] == [exit_.id, other.id, unordered.id]
    waiting = await store.row_order.waiting_before("w2", [job.id for job in batch], busy)
    assert waiting == {exit_.id: clock.now + timedelta(seconds=30)}
    assert await store.row_order.postpone("someone-else", waiting) == 0
    assert await store.row_order.postpone("w2", waiting) == 1
    postponed = await store.get_job(exit_.id)
    assert postponed is not None and postponed.state is JobState.PENDING
    assert postponed.attempts == 0 and postponed.available_at == clock.now + timedelta(seconds=30)  # unattempted

    # Claimed by another worker (being sent): wait until it is recorded, asked again at `busy`.
    clock.advance(30)
    [first] = await store.claim_batch("w3", 60, 1)
    assert first.id == enter.id  # same time, so in the order accepted
    [second] = await store.claim_batch("w4", 60, 1)
    assert second.id == exit_.id
    assert await store.row_order.waiting_before("w4", [exit_.id], clock.now + timedelta(seconds=1)) == {
        exit_.id: clock.now + timedelta(seconds=1)
    }
    await store.apply_outcomes("w3", [(enter.id, JobDead("refused"))])  # done: no longer waiting
    assert await store.row_order.waiting_before("w4", [exit_.id], busy) == {}
