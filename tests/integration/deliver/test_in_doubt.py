"""Journey entries whose answer is lost, over a real socket to the emulator from a real SQLite file.

The emulator loses answers before processing (nothing happened) and after it (the contact entered): the worker
cannot tell them apart, so with `delivery.in_doubt: hold` every one becomes a dead letter saying so, and a
person who checks SFMC replays only those that did not arrive. With `resend` they are retried: at least once.
"""

from __future__ import annotations

from collections import Counter

from sfmc_actions.queue import JobState, JobStore
from sfmc_actions.route.replay import Replayer
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import Loaded, tenant_key
from tests.integration.deliver.conftest import Emulator, drain, enqueue, signed_up, worker_for

USERS = 12
# Per call to the journey route (counted per rule): lost answers before and after processing, and the
# answers that prove SFMC did nothing (503, 429), which are simply retried.
LOSSES = (
    {"fault": "timeout", "route": "events", "nth": [1], "seconds": 10},  # past the client's 1 s timeout
    {"fault": "timeout", "route": "events", "nth": [2], "seconds": 10, "after": True},
    {"fault": "drop", "route": "events", "nth": [3]},
    {"fault": "drop", "route": "events", "nth": [4], "after": True},
    {"fault": "unavailable", "route": "events", "nth": [5], "retry_after": 1},
    {"fault": "rate_limit", "route": "events", "nth": [6], "retry_after": 1},
)


async def entries(emulator: Emulator) -> Counter[str]:
    return Counter(e["contact_key"] for e in await emulator.get("/journey-events"))


async def test_lost_answers_are_held_and_only_the_ones_that_did_not_arrive_are_replayed(
    store: JobStore, quickstart: Loaded, emulator: Emulator
) -> None:
    await emulator.faults(*LOSSES)
    await enqueue(store, quickstart, [signed_up(n) for n in range(USERS)])
    async with worker_for(quickstart, store, emulator, http_timeout=1.0) as worker:
        await drain(worker, store)

    held = await store.list_dead(reason_contains="in doubt")
    assert len(held) == 4 and (await store.stats()).total(JobState.DEAD) == 4
    assert all((job.dead_reason or "").startswith("in doubt: the journey entry of contact ") for job in held)
    assert {"timed out waiting for the answer" in (j.dead_reason or "") for j in held} == {True, False}
    in_doubt = worker.metrics.registry.get_sample_value(  # type: ignore[union-attr]
        "sfmc_actions_jobs_in_doubt_total",
        {"destination": "default", "subscription": "welcome-journey", "action": "apiEvent"},
    )
    assert in_doubt == 4
    entered = await entries(emulator)
    assert max(entered.values()) == 1  # nothing entered twice
    assert len(entered) == USERS - 2  # the two lost after processing entered; the two lost before did not

    # What a person does: check each in-doubt entry in SFMC, replay only those that did not arrive.
    missing = [job for job in held if job.payload["contactKey"] not in entered]
    assert len(missing) == 2
    replayer = Replayer(Router(quickstart.subscriptions, tenant_key(quickstart.config.settings)))
    result = await store.replay(list(replayer.plan(missing).jobs), replayer)
    assert (result.accepted, result.duplicates) == (2, 0)  # their de-duplication keys were cleared
    async with worker_for(quickstart, store, emulator, http_timeout=1.0) as worker:
        await drain(worker, store)
    assert await entries(emulator) == Counter({f"u{n}": 1 for n in range(USERS)})  # everyone, exactly once


async def test_with_resend_everything_arrives_at_least_once(
    store: JobStore, quickstart: Loaded, emulator: Emulator
) -> None:
    await emulator.faults(*LOSSES)
    await enqueue(store, quickstart, [signed_up(n) for n in range(USERS)])
    async with worker_for(quickstart, store, emulator, http_timeout=1.0, in_doubt="resend") as worker:
        await drain(worker, store)
    assert (await store.stats()).total(JobState.DEAD) == 0
    entered = await entries(emulator)
    assert set(entered) == {f"u{n}" for n in range(USERS)}
    assert sorted(entered.values(), reverse=True)[:3] == [2, 2, 1]  # the two lost after processing entered twice
