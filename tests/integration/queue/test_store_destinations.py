"""Several destinations in one store, on both stores: claims, de-duplication, dead letters and stats keep each
destination's jobs apart; a store from before destinations is migrated with its jobs as destination 'default'."""

from __future__ import annotations

from typing import Any

from sfmc_actions.queue import JobDead, JobState, JobStore, NewJob, RejectedEvent, open_store
from tests.integration.queue.conftest import FakeClock, raw_execute

KEY = "dataExtension:key:Orders"  # the same key on two business units


def job(n: int, destination: str, sub: str = "orders", **extra: Any) -> NewJob:
    message_id = extra.pop("message_id", f"msg-{n}")
    action = extra.pop("action", "dataExtension")
    key = extra.pop("key", KEY)
    event = {"type": "track", "event": "Order Completed", "messageId": message_id}
    payload = {"keys": {"id": n}, "values": {"n": n}}
    return NewJob(
        sub, action, key, f"tenant-{destination}", message_id, event, payload, destination=destination, **extra
    )


def entry(n: int, destination: str, message_id: str) -> NewJob:
    return job(n, destination, sub="welcome", action="apiEvent", key="apiEvent:APIEvent-1", message_id=message_id)


async def test_claims_take_only_their_destinations_jobs_even_with_the_same_batch_key(
    store: JobStore, clock: FakeClock
) -> None:
    await store.enqueue([job(1, "emea"), job(2, "emea")])
    clock.advance(1)
    await store.enqueue([job(3, "us"), job(4, "default")])

    us = await store.claim_batch("w-us", 60, 10, destination="us")
    emea = await store.claim_batch("w-emea", 60, 10, destination="emea")
    default = await store.claim_batch("w", 60, 10)  # no destination named: the top-level form's

    assert [(j.destination, j.payload["values"]["n"], j.tenant) for j in us] == [("us", 3, "tenant-us")]
    assert [(j.destination, j.payload["values"]["n"]) for j in emea] == [("emea", 1), ("emea", 2)]
    assert [(j.destination, j.payload["values"]["n"]) for j in default] == [("default", 4)]
    await store.enqueue([job(5, "emea")])
    assert await store.claim_batch("w-us", 60, 10, KEY, "us") == []  # a named key, still only its destination
    [top_up] = await store.claim_batch("w-emea", 60, 10, KEY, "emea")
    assert top_up.payload["values"]["n"] == 5


async def test_dedupe_keys_are_per_destination_and_subscription(store: JobStore) -> None:
    first = await store.enqueue([entry(1, "emea", "m-1"), entry(2, "us", "m-1")])
    again = await store.enqueue([entry(3, "emea", "m-1"), entry(4, "us", "m-1"), entry(5, "us", "m-2")])

    assert (first.accepted, first.duplicates) == (2, 0)  # the same event enters each destination's journey once
    assert (again.accepted, again.duplicates) == (1, 2)


async def test_dead_letters_and_stats_by_destination_and_replay_drops_only_its_own_dedupe_key(
    store: JobStore,
) -> None:
    await store.enqueue([entry(1, "emea", "m-1"), entry(2, "us", "m-1")], [RejectedEvent("bad", "{}")])
    [emea] = await store.claim_batch("w", 60, 10, destination="emea")
    await store.apply_outcomes("w", [(emea.id, JobDead("SFMC answered 400"))])

    assert [j.id for j in await store.list_dead(destination="emea")] == [emea.id]
    assert await store.list_dead(destination="us") == []
    everything = await store.list_dead(include_rejected=True)
    assert {(j.state, j.destination) for j in everything} == {(JobState.DEAD, "emea"), (JobState.REJECTED, None)}
    stats = await store.stats()
    assert stats.total(JobState.DEAD, destination="emea") == 1 and stats.total(JobState.DEAD, destination="us") == 0
    assert stats.total(JobState.PENDING, "welcome", "us") == 1
    assert {(c.destination, c.subscription, c.state) for c in stats.counts} == {
        ("emea", "welcome", JobState.DEAD),
        ("us", "welcome", JobState.PENDING),
        (None, None, JobState.REJECTED),
    }

    result = await store.replay([emea.id], lambda dead: [entry(9, dead.destination or "", dead.message_id or "")])
    assert (result.accepted, result.duplicates) == (1, 0)  # emea's key was dropped for the replay
    assert (await store.enqueue([entry(10, "us", "m-1")])).duplicates == 1  # us's key stays


async def test_a_store_from_before_destinations_is_migrated_as_destination_default(
    store_url: str, clock: FakeClock
) -> None:
    sqlite = store_url.startswith("sqlite")
    store = await open_store(store_url, clock=clock)
    try:
        await store.enqueue([job(1, "default")])
        # Back to the schema before migration 0030: no destination column, dedupe keys by subscription.
        if sqlite:
            # SQLite refuses to drop a column a trigger names: the history's (0031), which come after 0030
            triggers = ("invalid", "delivered", "dead", "retried", "in_doubt")
            undo = [
                *(f"DROP TRIGGER jobs_history_{name}" for name in triggers),
                "DROP INDEX jobs_claimable_by_destination",
                "DROP INDEX jobs_claimable_by_key",
                "CREATE INDEX jobs_claimable_by_key ON jobs (batch_key, available_at) "
                "WHERE state IN ('pending', 'claimed')",
                "ALTER TABLE jobs DROP COLUMN destination",
                "DROP TABLE dedupe_keys",
                "CREATE TABLE dedupe_keys (subscription TEXT NOT NULL, message_id TEXT NOT NULL, "
                "expires_at REAL NOT NULL, PRIMARY KEY (subscription, message_id)) WITHOUT ROWID",
                "CREATE INDEX dedupe_keys_expiry ON dedupe_keys (expires_at)",
                "INSERT INTO dedupe_keys VALUES ('welcome', 'm-1', 1e12)",
            ]
        else:
            undo = [
                "ALTER TABLE jobs DROP COLUMN destination",  # and the indexes on it
                "CREATE INDEX jobs_claimable_by_key ON jobs (batch_key, available_at, id) "
                "WHERE state IN ('pending', 'claimed')",
                "ALTER TABLE dedupe_keys DROP CONSTRAINT dedupe_keys_pkey",
                "ALTER TABLE dedupe_keys DROP COLUMN destination",
                "ALTER TABLE dedupe_keys ADD PRIMARY KEY (subscription, message_id)",
                "INSERT INTO dedupe_keys VALUES ('welcome', 'm-1', '2100-01-01T00:00:00Z')",
            ]
        for statement in [*undo, "DELETE FROM schema_migrations WHERE version = 30"]:
            await raw_execute(store_url, statement)

        await store.migrate()

        [old] = await store.claim_batch("w", 60, 10)
        assert old.destination == "default" and old.payload["values"]["n"] == 1
        result = await store.enqueue([entry(2, "default", "m-1"), entry(3, "emea", "m-1")])
        assert (result.accepted, result.duplicates) == (1, 1)  # the old key is the default destination's
    finally:
        await store.close()
