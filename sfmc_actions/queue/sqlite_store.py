"""The default job store: one SQLite file in WAL mode, shared safely by several processes on one machine.

Connection, thread and durability choices live in `sqlite_db`; token sharing in `sqlite_tokens`. This module
holds the job life cycle: enqueue (with de-duplication), claim, outcomes, release, dead letters and replay.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.queue.bounded_write import CommitGate, sqlite_write, wait_bounded
from sfmc_actions.queue.history import SourceCount
from sfmc_actions.queue.jobs import (
    ApplyResult,
    EnqueueResult,
    ErrorSample,
    Job,
    JobDead,
    JobDelivered,
    JobOutcome,
    JobRetry,
    JobState,
    NewJob,
    QueueStats,
    RejectedEvent,
    SharedToken,
    StateCount,
)
from sfmc_actions.queue.purge import PURGE_CHUNK, VACUUM_PAGES, PurgeCutoffs, PurgeReport
from sfmc_actions.queue.rows import JOB_COLUMNS, JOB_STATE_COLUMNS, dump_json, job_from_row, utc_now
from sfmc_actions.queue.sqlite_db import SqliteDatabase, insert_rows, to_time, write_transaction
from sfmc_actions.queue.sqlite_entries import SqliteEntries, SqliteRowOrder
from sfmc_actions.queue.sqlite_history import SqliteHistory, count_source
from sfmc_actions.queue.sqlite_tokens import SqliteTokens
from sfmc_actions.queue.store import Reroute

# -- SQL -------------------------------------------------------------------------------------------------------
# "claimable" = state IN ('pending', 'claimed') AND available_at <= now: a claimed job's available_at is its
# lease expiry, so an expired lease is claimable again with no reaper. The state term is spelled exactly as in
# the partial indexes' WHERE, which is what lets SQLite use them; INDEXED BY pins them, because without
# ANALYZE statistics the planner may pick another index and sort every pending job (a full scan at 1M jobs).
#
# Ids are assigned under the write lock, from AUTOINCREMENT's counter, so a job and its body share one id
# without a round trip per row.
LAST_ID = "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'"
INSERT_JOBS = """
INSERT INTO jobs (id, subscription, action, batch_key, tenant, message_id, state, created_at, available_at,
                  updated_at, last_error, dead_reason, order_key, destination)
VALUES """
INSERT_BODIES = "INSERT INTO job_bodies (job_id, event, payload, raw_body) VALUES "
# Writes only when there is no key or it has expired; rowcount 0 means "a duplicate inside the window".
TAKE_DEDUPE_KEY = """
INSERT INTO dedupe_keys (destination, subscription, message_id, expires_at) VALUES (?, ?, ?, ?)
ON CONFLICT (destination, subscription, message_id) DO UPDATE SET expires_at = excluded.expires_at
WHERE dedupe_keys.expires_at <= ?"""
DROP_DEDUPE_KEY = "DELETE FROM dedupe_keys WHERE destination = ? AND subscription = ? AND message_id = ?"
# Claims are per destination (each has its own workers): its own indexes, so another destination's backlog is
# never scanned.
OLDEST_AVAILABLE_KEY = """
SELECT batch_key FROM jobs INDEXED BY jobs_claimable_by_destination
WHERE destination = ? AND state IN ('pending', 'claimed') AND available_at <= ?
ORDER BY available_at, id LIMIT 1"""
# A sending mark left by the previous holder (it never recorded an outcome) becomes this claim's in-doubt flag.
_CARRY_MARK = "in_doubt = (in_doubt OR sending_at IS NOT NULL), sending_at = NULL"
CLAIM_JOBS = f"""
UPDATE jobs SET state = 'claimed', lease_owner = ?, available_at = ?, attempts = attempts + 1, updated_at = ?,
                {_CARRY_MARK}
WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_claimable_by_key
             WHERE destination = ? AND batch_key = ? AND state IN ('pending', 'claimed') AND available_at <= ?
             ORDER BY available_at, id LIMIT ?)
RETURNING {JOB_STATE_COLUMNS}"""
# Id lists travel as one JSON array parameter, so these statements stay constants.
GET_BODIES = """
SELECT job_id, event, payload, raw_body FROM job_bodies WHERE job_id IN (SELECT value FROM json_each(?))"""
_OWNED = "state = 'claimed' AND lease_owner = ?"
# Only under a live lease: a send must never start once another worker may claim the job. sent_from: the start of
# this send's window, for asking SFMC what became of it if its answer is lost (sqlite_entries.py).
MARK_SENDING = f"""
UPDATE jobs SET sending_at = ?, sent_from = ?, sent_until = NULL
WHERE id IN (SELECT value FROM json_each(?)) AND {_OWNED} AND available_at > ?
RETURNING id"""
# Delivered and dead settle a job; a retry records only that this attempt failed (it may not even have been
# sent: a job of a subscription this worker lacks), so an earlier attempt's doubt stays.
_SETTLED = "sending_at = NULL, in_doubt = 0"
MARK_DELIVERED = f"""
UPDATE jobs SET state = 'delivered', delivered_at = ?, updated_at = ?, lease_owner = NULL, {_SETTLED}
WHERE id IN (SELECT value FROM json_each(?)) AND {_OWNED} RETURNING id"""
MARK_RETRY = f"""
UPDATE jobs SET state = 'pending', available_at = ?, last_error = ?, updated_at = ?, lease_owner = NULL,
                sending_at = NULL
WHERE id = ? AND {_OWNED}"""
MARK_DEAD = f"""
UPDATE jobs SET state = 'dead', dead_reason = ?, last_error = ?, sent_row = ?, last_response = ?, updated_at = ?,
                lease_owner = NULL, {_SETTLED}
WHERE id = ? AND {_OWNED}"""
# Released claims were not attempted: give the attempt back. A live lease ends in the future, so all of an
# owner's live claims lie in the claimable index's range available_at > now. Jobs released by id were not
# processed by SFMC (their marks go); releasing all keeps marked jobs in doubt (their sends were cut short).
_RELEASED = (
    "SET state = 'pending', available_at = ?, updated_at = ?, attempts = max(attempts - 1, 0), lease_owner = NULL"
)
RELEASE_ALL = f"""
UPDATE jobs INDEXED BY jobs_claimable {_RELEASED}, {_CARRY_MARK}
WHERE state IN ('pending', 'claimed') AND available_at > ? AND {_OWNED}"""
RELEASE_SOME = f"""
UPDATE jobs {_RELEASED}, sending_at = NULL WHERE id IN (SELECT value FROM json_each(?)) AND {_OWNED}"""
_WHOLE_JOB = f"SELECT {JOB_COLUMNS} FROM jobs j JOIN job_bodies b ON b.job_id = j.id"
GET_JOB = _WHOLE_JOB + " WHERE j.id = ?"
GET_JOBS = _WHOLE_JOB + " WHERE j.id IN (SELECT value FROM json_each(?)) ORDER BY j.id"
LIST_DEAD = f"""{_WHOLE_JOB}
WHERE j.state IN ('dead', 'rejected') AND (j.state = 'dead' OR :rejected)
  AND (:subscription IS NULL OR j.subscription = :subscription)
  AND (:destination IS NULL OR j.destination = :destination)
  AND (:since IS NULL OR j.updated_at >= :since)
  AND (:reason IS NULL OR instr(lower(j.dead_reason), lower(:reason)) > 0)
  AND (:replayed OR j.replayed_at IS NULL)
ORDER BY j.updated_at DESC, j.id DESC LIMIT :limit"""
# delivered_at stays NULL: no accept-to-delivered latency is counted for an entry nobody saw delivered.
MARK_ENTERED = """
UPDATE jobs SET state = 'delivered', updated_at = ?, in_doubt = 0
WHERE id IN (SELECT value FROM json_each(?)) AND state = 'dead' AND replayed_at IS NULL
  AND dead_reason LIKE 'in doubt%'
RETURNING id"""
TAKE_FOR_REPLAY = """
UPDATE jobs SET replayed_at = ?
WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('dead', 'rejected') AND replayed_at IS NULL
RETURNING id"""
STATS_COUNTS = """
SELECT subscription, state, count(*), min(created_at), destination FROM jobs
GROUP BY state, destination, subscription"""
WAITING_COUNTS = """
SELECT subscription, state, count(*), min(created_at), destination FROM jobs WHERE state IN ('pending', 'claimed')
GROUP BY state, destination, subscription"""
STATS_ERRORS = """
SELECT id, subscription, state, last_error, updated_at, destination FROM jobs WHERE last_error IS NOT NULL
ORDER BY updated_at DESC LIMIT ?"""
# Purge (purge.py): ids first (through the partial index each kind has), then jobs and bodies by id, a chunk per
# transaction. Journey entries stay while doubt settling may read them (:entries).
PURGE_DELIVERED = """
SELECT id, NULL, NULL, NULL FROM jobs INDEXED BY jobs_delivered
WHERE state = 'delivered' AND created_at < :before AND (action <> 'apiEvent' OR created_at < :entries) LIMIT :chunk"""
PURGE_DEAD = """
SELECT id, destination, subscription, dead_reason FROM jobs INDEXED BY jobs_dead
WHERE state IN ('dead', 'rejected') AND updated_at < :before AND state = :state LIMIT :chunk"""
DELETE_BODIES = "DELETE FROM job_bodies WHERE job_id IN (SELECT value FROM json_each(?))"
DELETE_JOBS = "DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))"
PURGE_DEDUPE = """
DELETE FROM dedupe_keys WHERE (destination, subscription, message_id) IN
    (SELECT destination, subscription, message_id FROM dedupe_keys WHERE expires_at <= ? LIMIT ?)"""
PURGE_HISTORY = (
    "DELETE FROM history WHERE minute < :minute",
    "DELETE FROM history_latency WHERE minute < :minute",
    "DELETE FROM history_sources WHERE minute < :minute",
    "DELETE FROM error_samples WHERE group_id IN (SELECT group_id FROM error_groups WHERE last_seen < :before)",
    "DELETE FROM error_groups WHERE last_seen < :before",
)
PROBE_WRITE = """
INSERT INTO store_probe (id, checked_at) VALUES (1, ?)
ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at"""


def _job(row: Sequence[Any]) -> Job:
    return job_from_row(row, to_time)


class SqliteJobStore:
    def __init__(
        self,
        path: str | Path,
        *,
        dedupe_window: float = 24 * 3600.0,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 30.0,
        poll_interval: float = 0.2,
        refresh_lock_lease: float = 60.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.path = Path(path)
        self._db = SqliteDatabase(self.path, synchronous=synchronous, busy_timeout=busy_timeout)
        # stats() scans the table (over a second at 1M jobs): on its own connection and thread it never holds up
        # enqueues and claims, and WAL lets it read while they write.
        self._stats_db = SqliteDatabase(self.path, synchronous=synchronous, busy_timeout=busy_timeout)
        # Ingest writes (enqueue, the write probe) on their own connection and thread too: a worker's claim
        # waiting out the busy timeout on a locked file must not hold up the API's bounded writes behind it.
        self._ingest_db = SqliteDatabase(self.path, synchronous=synchronous, busy_timeout=busy_timeout)
        self._busy_timeout = busy_timeout
        self._tokens = SqliteTokens(self._db, clock, refresh_lock_lease)
        self.entries = SqliteEntries(self._db, clock)  # journey entries' sends (sqlite_entries.py)
        self.row_order = SqliteRowOrder(self._db, clock)
        self.history = SqliteHistory(self.path, self._db, self._stats_db, clock)  # counters, error groups
        self._dedupe_window = dedupe_window
        self._poll_interval = poll_interval
        self._clock = clock
        self._wake: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"SqliteJobStore({str(self.path)!r})"

    def _now(self) -> float:
        return self._clock().timestamp()

    def _wake_local(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def connect(self) -> None:
        """Open the file now, so a bad path fails here rather than at the first enqueue."""
        await self._db.run(lambda conn: None)

    async def migrate(self) -> None:
        now = self._now()
        await self._db.run(lambda conn: self._db.migrate(conn, now))

    # -- enqueue ---------------------------------------------------------------------------------------------
    async def enqueue(
        self,
        jobs: Sequence[NewJob],
        rejected: Sequence[RejectedEvent] = (),
        *,
        timeout: float | None = None,
        source: SourceCount | None = None,
    ) -> EnqueueResult:
        def insert(conn: sqlite3.Connection) -> EnqueueResult:
            now = self._now()
            result = self._insert(conn, jobs, rejected, now)
            if source is not None:
                count_source(conn, source, now)
            return result

        result = await self._ingest_write(insert, timeout)
        self._wake_local()
        return result

    async def check_writable(self, timeout: float) -> None:
        now = self._now()
        await self._ingest_write(lambda conn: conn.execute(PROBE_WRITE, (now,)), timeout)

    async def _ingest_write(self, write: Callable[[sqlite3.Connection], Any], timeout: float | None) -> Any:
        if timeout is None:

            def unbounded(conn: sqlite3.Connection) -> Any:
                with write_transaction(conn):
                    return write(conn)

            return await self._ingest_db.run(unbounded)
        gate, deadline = CommitGate(), time.monotonic() + timeout
        work = asyncio.ensure_future(
            self._ingest_db.run(lambda conn: sqlite_write(conn, write, gate, deadline, timeout, self._busy_timeout))
        )
        return await wait_bounded(work, gate, timeout)

    def _insert(
        self, conn: sqlite3.Connection, jobs: Sequence[NewJob], rejected: Sequence[RejectedEvent], now: float
    ) -> EnqueueResult:
        keep: list[NewJob] = []
        expires = now + self._dedupe_window
        for job in jobs:
            if (
                job.deduplicated
                and not conn.execute(
                    TAKE_DEDUPE_KEY, (job.destination, job.subscription, job.message_id, expires, now)
                ).rowcount
            ):
                continue
            keep.append(job)
        row = conn.execute(LAST_ID).fetchone()
        first = (row[0] if row else 0) + 1
        values = [_job_values(job, now) for job in keep] + [_rejected_values(event, now) for event in rejected]
        insert_rows(conn, INSERT_JOBS, [(first + n, *state) for n, (state, _) in enumerate(values)])
        insert_rows(conn, INSERT_BODIES, [(first + n, *body) for n, (_, body) in enumerate(values)])
        return EnqueueResult(accepted=len(keep), duplicates=len(jobs) - len(keep), rejected=len(rejected))

    # -- claim, outcomes, release ----------------------------------------------------------------------------
    async def claim_batch(
        self,
        owner: str,
        lease_seconds: float,
        max_jobs: int,
        batch_key: str | None = None,
        destination: str = DEFAULT_DESTINATION,
    ) -> list[Job]:
        def claim(conn: sqlite3.Connection) -> list[Any]:
            now = self._now()
            with write_transaction(conn):
                key = batch_key
                if key is None:
                    row = conn.execute(OLDEST_AVAILABLE_KEY, (destination, now)).fetchone()
                    if row is None:
                        return []
                    key = row[0]
                lease = now + lease_seconds
                states = conn.execute(CLAIM_JOBS, (owner, lease, now, destination, key, now, max_jobs)).fetchall()
                return _with_bodies(conn, states)

        rows = await self._db.run(claim)
        return sorted((_job(row) for row in rows), key=lambda job: job.id)

    async def mark_sending(self, owner: str, job_ids: Collection[int]) -> set[int]:
        def mark(conn: sqlite3.Connection) -> set[int]:
            now = self._now()
            with write_transaction(conn):
                return {row[0] for row in conn.execute(MARK_SENDING, (now, now, dump_json(list(job_ids)), owner, now))}

        return await self._db.run(mark) if job_ids else set()

    async def apply_outcomes(self, owner: str, outcomes: Sequence[tuple[int, JobOutcome]]) -> ApplyResult:
        def apply(conn: sqlite3.Connection) -> list[int]:
            now = self._now()
            applied: set[int] = set()
            delivered = [job_id for job_id, outcome in outcomes if isinstance(outcome, JobDelivered)]
            with write_transaction(conn):
                if delivered:  # the common case: one statement for the whole batch
                    rows = conn.execute(MARK_DELIVERED, (now, now, dump_json(delivered), owner)).fetchall()
                    applied.update(row[0] for row in rows)
                for job_id, outcome in outcomes:
                    if isinstance(outcome, JobRetry):
                        cursor = conn.execute(MARK_RETRY, (outcome.at.timestamp(), outcome.error, now, job_id, owner))
                    elif isinstance(outcome, JobDead):
                        sent = None if outcome.sent_row is None else dump_json(outcome.sent_row)
                        answer = None if outcome.response is None else dump_json(outcome.response)
                        values = (outcome.reason, outcome.reason, sent, answer, now, job_id, owner)
                        cursor = conn.execute(MARK_DEAD, values)
                    elif isinstance(outcome, JobDelivered):
                        continue
                    else:
                        raise TypeError(
                            f"job {job_id}: outcome must be JobDelivered, JobRetry or JobDead, not {outcome!r}"
                        )
                    if cursor.rowcount:
                        applied.add(job_id)
            return [job_id for job_id, _ in outcomes if job_id not in applied]

        lost = await self._db.run(apply)
        return ApplyResult(applied=len(outcomes) - len(lost), lost=tuple(lost))

    async def release(self, owner: str, job_ids: Collection[int] | None = None) -> int:
        def release(conn: sqlite3.Connection) -> int:
            now = self._now()
            with write_transaction(conn):
                if job_ids is None:
                    return conn.execute(RELEASE_ALL, (now, now, now, owner)).rowcount
                return conn.execute(RELEASE_SOME, (now, now, dump_json(list(job_ids)), owner)).rowcount

        count = await self._db.run(release)
        if count:
            self._wake_local()
        return count

    # -- dead letters and replay -----------------------------------------------------------------------------
    async def get_job(self, job_id: int) -> Job | None:
        row = await self._db.run(lambda conn: conn.execute(GET_JOB, (job_id,)).fetchone())
        return None if row is None else _job(row)

    async def list_dead(
        self,
        subscription: str | None = None,
        since: datetime | None = None,
        reason_contains: str | None = None,
        limit: int = 100,
        *,
        include_rejected: bool = False,
        include_replayed: bool = False,
        destination: str | None = None,
    ) -> list[Job]:
        params = {
            "rejected": include_rejected,
            "subscription": subscription,
            "destination": destination,
            "since": None if since is None else since.timestamp(),
            "reason": reason_contains,
            "replayed": include_replayed,
            "limit": limit,
        }
        rows = await self._db.run(lambda conn: conn.execute(LIST_DEAD, params).fetchall())
        return [_job(row) for row in rows]

    async def replay(self, job_ids: Collection[int], reroute: Reroute) -> EnqueueResult:
        def replay(conn: sqlite3.Connection) -> EnqueueResult:
            now = self._now()
            with write_transaction(conn):
                new_jobs: list[NewJob] = []
                # Ids not taken are unknown, neither dead nor rejected, or replayed already: skipped.
                taken = [row[0] for row in conn.execute(TAKE_FOR_REPLAY, (now, dump_json(sorted(set(job_ids)))))]
                for row in conn.execute(GET_JOBS, (dump_json(taken),)).fetchall():
                    job = _job(row)
                    if job.subscription is not None and job.message_id is not None:
                        conn.execute(DROP_DEDUPE_KEY, (job.destination, job.subscription, job.message_id))
                    new_jobs.extend(reroute(job))
                return self._insert(conn, new_jobs, (), now)

        result = await self._db.run(replay)
        self._wake_local()
        return result

    async def mark_entered(self, job_ids: Collection[int]) -> list[int]:
        def mark(conn: sqlite3.Connection) -> list[int]:
            with write_transaction(conn):
                rows = conn.execute(MARK_ENTERED, (self._now(), dump_json(sorted(set(job_ids))))).fetchall()
            return sorted(row[0] for row in rows)

        return await self._db.run(mark)

    # -- status, housekeeping, wake-ups ----------------------------------------------------------------------
    async def stats(self, last_errors: int = 10) -> QueueStats:
        def stats(conn: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            conn.execute("BEGIN")  # one snapshot for both queries
            try:
                return conn.execute(STATS_COUNTS).fetchall(), conn.execute(STATS_ERRORS, (last_errors,)).fetchall()
            finally:
                conn.execute("COMMIT")

        counts, errors = await self._stats_db.run(stats)
        return QueueStats(
            counts=tuple(
                StateCount(sub, JobState(state), n, to_time(oldest), dest) for sub, state, n, oldest, dest in counts
            ),
            last_errors=tuple(
                ErrorSample(i, sub, JobState(st), err, to_time(at), dest) for i, sub, st, err, at, dest in errors
            ),
        )

    async def waiting(self) -> QueueStats:
        counts = await self._stats_db.run(lambda conn: conn.execute(WAITING_COUNTS).fetchall())
        return QueueStats(
            counts=tuple(
                StateCount(sub, JobState(state), n, to_time(oldest), dest) for sub, state, n, oldest, dest in counts
            ),
            last_errors=(),
        )

    async def purge(self, cutoffs: PurgeCutoffs) -> PurgeReport:
        report = PurgeReport()
        started = time.monotonic()
        # Pages free since the last round were not needed by a whole round's traffic: those go back to the
        # filesystem. The pages this round frees stay for the next round's traffic to reuse, so under steady
        # traffic the file neither grows nor shrinks and regrows every round; when traffic stops, the next round
        # gives them back too.
        surplus = await self._db.run(lambda conn: int(conn.execute("PRAGMA freelist_count").fetchone()[0]))

        def chunk(write: Callable[[sqlite3.Connection], int]) -> Callable[[sqlite3.Connection], tuple[int, float]]:
            def timed(conn: sqlite3.Connection) -> tuple[int, float]:
                began = time.monotonic()
                with write_transaction(conn):
                    count = write(conn)
                return count, time.monotonic() - began

            return timed

        async def drain(write: Callable[[sqlite3.Connection], int]) -> int:
            total = 0
            while True:  # a chunk per transaction: a writer (ingest) waits at most one chunk
                count, took = await self._db.run(chunk(write))
                report.longest_chunk = max(report.longest_chunk, took)
                total += count
                if count < PURGE_CHUNK:
                    return total

        def jobs(sql: str, params: dict[str, Any]) -> Callable[[sqlite3.Connection], int]:
            def delete(conn: sqlite3.Connection) -> int:
                rows = conn.execute(sql, params | {"chunk": PURGE_CHUNK}).fetchall()
                ids = dump_json([row[0] for row in rows])
                conn.execute(DELETE_BODIES, (ids,))
                conn.execute(DELETE_JOBS, (ids,))
                for _, destination, subscription, reason in rows:
                    if params.get("state") == "dead":
                        report.expired[(destination or "", subscription or "", reason or "")] += 1
                return len(rows)

            return delete

        entries = cutoffs.entries_before.timestamp()
        report.delivered = await drain(
            jobs(PURGE_DELIVERED, {"before": cutoffs.delivered_before.timestamp(), "entries": entries})
        )
        report.dead = await drain(jobs(PURGE_DEAD, {"before": cutoffs.dead_before.timestamp(), "state": "dead"}))
        report.rejected = await drain(
            jobs(PURGE_DEAD, {"before": cutoffs.rejected_before.timestamp(), "state": "rejected"})
        )
        now = self._now()
        report.dedupe_keys = await drain(lambda conn: int(conn.execute(PURGE_DEDUPE, (now, PURGE_CHUNK)).rowcount))
        history = {
            "minute": int(cutoffs.history_before.timestamp()) // 60 * 60,
            "before": cutoffs.history_before.timestamp(),
        }

        def purge_history(conn: sqlite3.Connection) -> int:
            return sum(int(conn.execute(sql, history).rowcount) for sql in PURGE_HISTORY)

        report.history_rows, took = await self._db.run(chunk(purge_history))
        report.longest_chunk = max(report.longest_chunk, took)
        await self._give_back_space(report, surplus)
        report.seconds = time.monotonic() - started
        return report

    async def _give_back_space(self, report: PurgeReport, pages: int) -> None:
        """`pages` free pages back to the filesystem (auto_vacuum = INCREMENTAL), VACUUM_PAGES per step so that no
        writer waits long; then a checkpoint, which is when a WAL-mode file actually shrinks."""

        def step(conn: sqlite3.Connection, count: int) -> float:
            began = time.monotonic()
            # executescript steps the pragma to its end: execute() would free one page (one step) and stop
            conn.executescript(f"PRAGMA incremental_vacuum({count})")
            return time.monotonic() - began

        left = pages
        while left > 0:
            count = min(left, VACUUM_PAGES)
            took = await self._db.run(lambda conn: step(conn, count))  # noqa: B023 (awaited at once)
            report.longest_chunk = max(report.longest_chunk, took)
            left -= count
        report.pages_returned = pages
        # PASSIVE never waits on readers or writers (what it cannot copy now, the next automatic checkpoint does).
        await self._db.run(lambda conn: conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall())

    async def wait_for_work(self, timeout: float) -> bool:
        if self._wake is None:
            self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), min(remaining, self._poll_interval))
            except TimeoutError:
                # Other processes cannot set our event; SQLite's data_version says when they committed.
                if await self._db.run(self._db.changed_elsewhere):
                    return True
            else:
                self._wake.clear()
                return True
        return False

    # -- shared OAuth tokens ---------------------------------------------------------------------------------
    async def get_shared_token(self, tenant_key: str) -> SharedToken | None:
        return await self._tokens.get(tenant_key)

    async def put_shared_token(self, tenant_key: str, token: SecretStr | str, expires_at: datetime) -> None:
        await self._tokens.put(tenant_key, token, expires_at)

    @asynccontextmanager
    async def refresh_lock(self, tenant_key: str, timeout: float = 30.0) -> AsyncIterator[None]:
        async with self._tokens.refresh_lock(tenant_key, timeout):
            yield

    async def close(self) -> None:
        await self._ingest_db.close()
        await self._stats_db.close()
        await self._db.close()


def _with_bodies(conn: sqlite3.Connection, states: list[Any]) -> list[tuple[Any, ...]]:
    """Whole-job rows: each state row (STATE_COLUMNS) followed by its body (BODY_COLUMNS)."""
    if not states:
        return []
    bodies = {row[0]: row[1:] for row in conn.execute(GET_BODIES, (dump_json([row[0] for row in states]),))}
    return [(*state, *bodies[state[0]]) for state in states]


def _job_values(job: NewJob, now: float) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    state = JobState.PENDING if job.dead_reason is None else JobState.DEAD
    return (
        (
            job.subscription,
            job.action,
            job.batch_key,
            job.tenant,
            job.message_id,
            state.value,
            now,
            now,
            now,
            job.dead_reason,
            job.dead_reason,
            job.order_key,
            job.destination,
        ),
        (dump_json(job.event), dump_json(job.payload), None),
    )


def _rejected_values(event: RejectedEvent, now: float) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return (
        (None, "", "", "", event.message_id, JobState.REJECTED.value, now, now, now, None, event.reason, None, None),
        (dump_json(event.event or {}), None, event.raw_body),
    )
