"""Purge rounds on a real SQLite file and the real PostgreSQL: each kind by its own retention, journey entries
kept for doubt settling, expired dead letters reported, history kept, only one purger at a time (PostgreSQL)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from sfmc_actions.queue import JobDead, JobDelivered, JobStore, NewJob, RejectedEvent, open_store
from sfmc_actions.queue.purge import PurgeCutoffs
from tests.integration.queue.conftest import FakeClock


def job(n: int, action: str = "dataExtension") -> NewJob:
    return NewJob("orders", action, f"{action}:k", "t", f"m{n}", {"n": n}, {"n": n}, dedupe=action == "apiEvent")


def cutoffs(clock: FakeClock, delivered: float, dead: float, rejected: float, entries: float = 0) -> PurgeCutoffs:
    return PurgeCutoffs.from_retention(clock.now, delivered, dead, rejected, 90 * 86400, entries)


async def test_each_kind_expires_by_its_own_retention(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([job(n) for n in range(4)] + [job(9, "apiEvent")], [RejectedEvent("no type", "{}")])
    claimed = await store.claim_batch("w", 60, 10, "dataExtension:k")
    await store.apply_outcomes(
        "w",
        [(claimed[0].id, JobDelivered()), (claimed[1].id, JobDelivered())]
        + [(j.id, JobDead("SFMC 400: bad row")) for j in claimed[2:]],
    )
    [entry] = await store.claim_batch("w", 60, 10, "apiEvent:k")
    await store.apply_outcomes("w", [(entry.id, JobDelivered())])
    clock.advance(120)

    report = await store.purge(cutoffs(clock, delivered=60, dead=600, rejected=600, entries=3600))
    assert report is not None
    assert (report.delivered, report.dead, report.rejected) == (2, 0, 0)
    assert await store.get_job(entry.id) is not None  # doubt settling may still read it
    clock.advance(600)
    report = await store.purge(cutoffs(clock, delivered=60, dead=600, rejected=600, entries=3600))
    assert report is not None and (report.delivered, report.dead, report.rejected) == (0, 2, 1)
    assert report.expired == {("default", "orders", "SFMC 400: bad row"): 2}
    assert await store.list_dead(include_rejected=True) == []
    clock.advance(3600)
    report = await store.purge(cutoffs(clock, delivered=60, dead=600, rejected=600, entries=3600))
    assert report is not None and report.delivered == 1 and await store.get_job(entry.id) is None

    # the history outlives the jobs
    [totals] = await store.history.totals(clock.now - timedelta(days=1))
    assert (totals.delivered, totals.dead) == (3, 2)


async def test_expired_dedupe_keys_go_and_the_history_expires(store: JobStore, clock: FakeClock) -> None:
    await store.enqueue([job(1, "apiEvent")])
    [entry] = await store.claim_batch("w", 60, 10)
    await store.apply_outcomes("w", [(entry.id, JobDelivered())])
    clock.advance(3601)  # the store's dedupe window (conftest: 3600 s)
    report = await store.purge(PurgeCutoffs.from_retention(clock.now, 60, 60, 60, 3000, 60))
    assert report is not None and report.dedupe_keys == 1 and report.history_rows >= 1
    assert await store.history.totals(clock.now - timedelta(days=1)) == []
    assert (await store.enqueue([job(1, "apiEvent")])).accepted == 1  # the key expired: a new entry


@pytest.mark.postgres
async def test_one_purger_at_a_time_on_postgres(postgres_url: str) -> None:
    clock = FakeClock()
    first, second = await open_store(postgres_url, clock=clock), await open_store(postgres_url, clock=clock)
    try:
        await first.enqueue([job(n) for n in range(3)])
        claimed = await first.claim_batch("w", 60, 10)
        await first.apply_outcomes("w", [(j.id, JobDelivered()) for j in claimed])
        clock.advance(120)
        cut = cutoffs(clock, 60, 60, 60)
        reports = await asyncio.gather(first.purge(cut), second.purge(cut), first.purge(cut))
        done = [r for r in reports if r is not None]
        assert sum(r.delivered for r in done) == 3  # each job removed once, whoever ran
    finally:
        await first.close()
        await second.close()


async def test_sqlite_gives_space_back(tmp_path: object, clock: FakeClock) -> None:
    store = await open_store(f"sqlite:///{tmp_path}/jobs.db", clock=clock)
    try:
        big = {"text": "x" * 2000}
        for _ in range(6):
            await store.enqueue([NewJob("orders", "dataExtension", "k", "t", None, big, big) for _n in range(500)])
        while claimed := await store.claim_batch("w", 60, 500):
            await store.apply_outcomes("w", [(j.id, JobDelivered()) for j in claimed])
        full = (await store.history.store_facts()).store_bytes
        clock.advance(120)
        report = await store.purge(cutoffs(clock, 60, 60, 60))
        assert report is not None and report.delivered == 3000
        assert report.pages_returned < 100  # what it freed is kept for the next round's traffic
        report = await store.purge(cutoffs(clock, 60, 60, 60))  # nobody needed them: given back
        assert report is not None and report.pages_returned > 1000
        # the WAL keeps its size (up to journal_size_limit) to be reused; the main file is what shrinks
        main_file = Path(f"{tmp_path}/jobs.db").stat().st_size
        assert main_file < full / 10, (full, main_file)
    finally:
        await store.close()


async def test_a_store_from_before_incremental_vacuum_is_converted_once(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "old.db"
    store = await open_store(f"sqlite:///{path}", clock=clock)
    await store.enqueue([job(1)])
    await store.close()
    conn = sqlite3.connect(path, isolation_level=None)  # as an earlier version left it: no auto_vacuum
    conn.execute("PRAGMA auto_vacuum = NONE")
    conn.execute("VACUUM")
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    conn.close()

    store = await open_store(f"sqlite:///{path}", clock=clock)
    try:
        assert [j.message_id for j in await store.claim_batch("w", 60, 10)] == ["m1"]  # nothing lost
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # INCREMENTAL
    conn.close()
