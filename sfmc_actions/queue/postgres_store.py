"""The scale-out job store: PostgreSQL, shared by any number of processes on any number of machines.

Claims use `FOR UPDATE SKIP LOCKED` (as procrastinate and rudder-server do), so concurrent workers never wait
on, nor get, each other's jobs; an enqueue's NOTIFY wakes idle workers at once. Commits use the server's
`synchronous_commit` (on by default): durable across a crash of the database machine too. Times come from
this process's clock; leases of a minute tolerate the skew NTP leaves between machines.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from pydantic import SecretStr

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.queue.bounded_write import CommitGate, busy, wait_bounded
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
from sfmc_actions.queue.postgres_db import PostgresDatabase
from sfmc_actions.queue.postgres_entries import PostgresEntries, PostgresRowOrder
from sfmc_actions.queue.postgres_history import PostgresHistory, count_source
from sfmc_actions.queue.postgres_tokens import PostgresTokens
from sfmc_actions.queue.purge import PURGE_CHUNK, PurgeCutoffs, PurgeReport
from sfmc_actions.queue.rows import JOB_COLUMNS, dump_json, job_from_row, utc_now
from sfmc_actions.queue.store import Reroute

# "claimable" = state IN ('pending', 'claimed') AND available_at <= now: a claimed job's available_at is its
# lease expiry, so an expired lease is claimable again with no reaper (the partial indexes' WHERE matches).
# One statement for the whole batch: ids drawn first, so a job and its body share one. It wakes idle workers
# (NOTIFY, sent at commit) too, so an enqueue without de-duplication keys is one round trip and one transaction.
INSERT_JOBS = """
WITH input AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('jobs', 'id')) AS id, u.*
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::text[], $11::text[], $14::text[], $15::text[])
             AS u(s, a, b, t, m, e, p, r, st, d, reason, o, dest)
), states AS (
    INSERT INTO jobs (id, subscription, action, batch_key, tenant, message_id, state, last_error, dead_reason,
                      created_at, available_at, updated_at, order_key, destination)
    SELECT id, s, a, b, t, m, st, d, coalesce(d, reason), $12, $12, $12, o, dest FROM input
), bodies AS (
    INSERT INTO job_bodies (job_id, event, payload, raw_body) SELECT id, e::json, p::json, r FROM input
)
SELECT pg_notify($13, '')"""
PROBE_WRITE = """
INSERT INTO store_probe (id, checked_at) VALUES (1, $1)
ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at"""
# Bounds every statement of a bounded write, lock waits included; the time is in milliseconds.
LIMIT_STATEMENTS = "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true)"
# Writes only when there is no key or it has expired: the keys returned are the new ones.
TAKE_DEDUPE_KEYS = """
INSERT INTO dedupe_keys (destination, subscription, message_id, expires_at)
SELECT d, s, m, $3 FROM unnest($5::text[], $1::text[], $2::text[]) AS u(d, s, m)
ON CONFLICT (destination, subscription, message_id) DO UPDATE SET expires_at = excluded.expires_at
WHERE dedupe_keys.expires_at <= $4
RETURNING destination, subscription, message_id"""
DROP_DEDUPE_KEYS = """
DELETE FROM dedupe_keys d USING unnest($3::text[], $1::text[], $2::text[]) AS u(dest, s, m)
WHERE d.destination = u.dest AND d.subscription = u.s AND d.message_id = u.m"""
NOTIFY = "SELECT pg_notify($1, '')"
# A sending mark left by the previous holder (it never recorded an outcome) becomes this claim's in-doubt flag.
_CARRY_MARK = "in_doubt = (j.in_doubt OR j.sending_at IS NOT NULL), sending_at = NULL"
_CLAIM = f""",
claimed AS (
    UPDATE jobs j SET state = 'claimed', lease_owner = $2, available_at = $3, attempts = j.attempts + 1,
                      updated_at = $1, {_CARRY_MARK}
    FROM picked WHERE j.id = picked.id
    RETURNING j.*)
SELECT {JOB_COLUMNS} FROM claimed j JOIN job_bodies b ON b.job_id = j.id"""
_PICK = """
picked AS (
    SELECT id FROM jobs
    WHERE state IN ('pending', 'claimed') AND available_at <= $1 AND destination = $5 AND batch_key = {key}
    ORDER BY available_at, id LIMIT $4
    FOR UPDATE SKIP LOCKED)"""
CLAIM_OLDEST_KEY = (
    """
WITH next_key AS (
    SELECT batch_key FROM jobs WHERE state IN ('pending', 'claimed') AND available_at <= $1 AND destination = $5
    ORDER BY available_at, id LIMIT 1
    FOR UPDATE SKIP LOCKED),"""
    + _PICK.format(key="(SELECT batch_key FROM next_key)")
    + _CLAIM
)
CLAIM_KEY = "WITH" + _PICK.format(key="$6") + _CLAIM
# Statements on jobs picked by id must find them by primary key. Statistics taken when few jobs were claimable
# (an ANALYZE between bursts) make the claimable partial indexes look tiny, and a plain "state = 'claimed'"
# implies their predicate, so the planner read a whole claimable index per statement (it holds every queued
# job) and filtered by owner: 25 ms instead of 0.25 ms for 50 ids over 100,000 queued jobs, and most of
# PostgreSQL's CPU in bench/e2e.py. "IS TRUE" is the same test (state is NOT NULL) in a form the planner does
# not match against index predicates; ids come as a join (unnest) for the same reason ("= ANY" got ANDed).
_OWNED = "(j.state = 'claimed') IS TRUE AND j.lease_owner = $2"
_IDS = "unnest($3::bigint[]) AS u(id)"
# Only under a live lease: a send must never start once another worker may claim the job. sent_from: the start of
# this send's window, for asking SFMC what became of it if its answer is lost (postgres_entries.py).
MARK_SENDING = f"""
UPDATE jobs j SET sending_at = $1, sent_from = $1, sent_until = NULL
FROM {_IDS} WHERE j.id = u.id AND {_OWNED} AND j.available_at > $1
RETURNING j.id"""
# Delivered and dead settle a job; a retry records only that this attempt failed (it may not even have been
# sent: a job of a subscription this worker lacks), so an earlier attempt's doubt stays.
_SETTLED = "sending_at = NULL, in_doubt = false"
MARK_DELIVERED = f"""
UPDATE jobs j SET state = 'delivered', delivered_at = $1, updated_at = $1, lease_owner = NULL, {_SETTLED}
FROM {_IDS} WHERE j.id = u.id AND {_OWNED} RETURNING j.id"""
MARK_RETRY = f"""
UPDATE jobs j SET state = 'pending', available_at = u.at, last_error = u.error, updated_at = $1, lease_owner = NULL,
                  sending_at = NULL
FROM unnest($3::bigint[], $4::timestamptz[], $5::text[]) AS u(id, at, error)
WHERE j.id = u.id AND {_OWNED} RETURNING j.id"""
MARK_DEAD = f"""
UPDATE jobs j SET state = 'dead', dead_reason = u.reason, last_error = u.reason, sent_row = u.sent::jsonb,
                  last_response = u.answer::jsonb, updated_at = $1, lease_owner = NULL, {_SETTLED}
FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) AS u(id, reason, sent, answer)
WHERE j.id = u.id AND {_OWNED} RETURNING j.id"""
# Released claims were not attempted: give the attempt back. A live lease ends in the future, so all of an
# owner's live claims lie in the claimable index's range available_at > now. Jobs released by id were not
# processed by SFMC (their marks go); releasing all keeps marked jobs in doubt (their sends were cut short).
_RELEASE = """
UPDATE jobs j SET state = 'pending', available_at = $1, updated_at = $1, attempts = greatest(j.attempts - 1, 0),
                  lease_owner = NULL, {mark}{ids}
WHERE {owned}"""
RELEASE_ALL = _RELEASE.format(mark=_CARRY_MARK, ids="", owned=_OWNED) + (
    " AND j.state IN ('pending', 'claimed') AND j.available_at > $1"  # the claimable index's range, on purpose
)
RELEASE_SOME = _RELEASE.format(mark="sending_at = NULL", ids=f"\nFROM {_IDS}", owned=_OWNED) + " AND j.id = u.id"
_WHOLE_JOB = f"SELECT {JOB_COLUMNS} FROM jobs j JOIN job_bodies b ON b.job_id = j.id"
GET_JOB = _WHOLE_JOB + " WHERE j.id = $1"
LIST_DEAD = f"""{_WHOLE_JOB}
WHERE j.state IN ('dead', 'rejected') AND (j.state = 'dead' OR $1)
  AND ($2::text IS NULL OR j.subscription = $2)
  AND ($3::timestamptz IS NULL OR j.updated_at >= $3)
  AND ($4::text IS NULL OR strpos(lower(j.dead_reason), lower($4)) > 0)
  AND ($5 OR j.replayed_at IS NULL)
  AND ($7::text IS NULL OR j.destination = $7)
ORDER BY j.updated_at DESC, j.id DESC LIMIT $6"""
# delivered_at stays NULL: no accept-to-delivered latency is counted for an entry nobody saw delivered.
MARK_ENTERED = """
UPDATE jobs SET state = 'delivered', updated_at = $1, in_doubt = false
WHERE id = ANY($2::bigint[]) AND state = 'dead' AND replayed_at IS NULL AND dead_reason LIKE 'in doubt%'
RETURNING id"""
TAKE_FOR_REPLAY = f"""
WITH taken AS (
    UPDATE jobs SET replayed_at = $1
    WHERE id = ANY($2::bigint[]) AND state IN ('dead', 'rejected') AND replayed_at IS NULL
    RETURNING *)
SELECT {JOB_COLUMNS} FROM taken j JOIN job_bodies b ON b.job_id = j.id ORDER BY j.id"""
STATS_COUNTS = """
SELECT subscription, state, count(*), min(created_at), destination FROM jobs
GROUP BY state, destination, subscription"""
WAITING_COUNTS = """
SELECT subscription, state, count(*), min(created_at), destination FROM jobs WHERE state IN ('pending', 'claimed')
GROUP BY state, destination, subscription"""
STATS_ERRORS = """
SELECT id, subscription, state, last_error, updated_at, destination FROM jobs WHERE last_error IS NOT NULL
ORDER BY updated_at DESC LIMIT $1"""
# Purge (purge.py): a chunk of ids through the partial index each kind has, jobs and bodies deleted together.
# Journey entries stay while doubt settling may read them ($3).
PURGE_DELIVERED = """
WITH gone AS (
    DELETE FROM jobs WHERE id IN (
        SELECT id FROM jobs WHERE state = 'delivered' AND created_at < $1 AND (action <> 'apiEvent' OR created_at < $3)
        LIMIT $2)
    RETURNING id, destination, subscription, dead_reason),
bodies AS (DELETE FROM job_bodies WHERE job_id IN (SELECT id FROM gone))
SELECT destination, subscription, dead_reason FROM gone"""
PURGE_DEAD = """
WITH gone AS (
    DELETE FROM jobs WHERE id IN (
        SELECT id FROM jobs WHERE state IN ('dead', 'rejected') AND updated_at < $1 AND state = $3 LIMIT $2)
    RETURNING id, destination, subscription, dead_reason),
bodies AS (DELETE FROM job_bodies WHERE job_id IN (SELECT id FROM gone))
SELECT destination, subscription, dead_reason FROM gone"""
PURGE_DEDUPE = """
DELETE FROM dedupe_keys WHERE ctid IN (SELECT ctid FROM dedupe_keys WHERE expires_at <= $1 LIMIT $2)"""
PURGE_HISTORY = (
    "DELETE FROM history WHERE minute < $1",
    "DELETE FROM history_latency WHERE minute < $1",
    "DELETE FROM history_sources WHERE minute < $1",
    "DELETE FROM error_samples WHERE group_id IN (SELECT group_id FROM error_groups WHERE last_seen < $1)",
    "DELETE FROM error_groups WHERE last_seen < $1",
)
# Autovacuum may be off (it is on this project's test server): a plain VACUUM (no exclusive lock) after a round
# makes the purged rows' space reusable, so the tables stop growing. Never VACUUM FULL: it locks out ingest.
VACUUM_PURGED = "VACUUM (ANALYZE) jobs, job_bodies, dedupe_keys, history, history_latency, error_inbox"
TRY_PURGE_LOCK = "SELECT pg_try_advisory_lock(hashtext($1))"
PURGE_UNLOCK = "SELECT pg_advisory_unlock(hashtext($1))"


def _job(row: Sequence[Any]) -> Job:
    return job_from_row(row, lambda value: value)  # asyncpg returns aware UTC datetimes


class PostgresJobStore:
    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "sfmc_actions",
        dedupe_window: float = 24 * 3600.0,
        min_connections: int = 1,
        max_connections: int = 10,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = PostgresDatabase(dsn, schema, min_size=min_connections, max_size=max_connections)
        self._tokens = PostgresTokens(self._db)
        self.entries = PostgresEntries(self._db, clock)  # journey entries' sends (postgres_entries.py)
        self.row_order = PostgresRowOrder(self._db, clock)
        self.history = PostgresHistory(self._db, clock)  # counters, error groups (postgres_history.py)
        self._dedupe_window = timedelta(seconds=dedupe_window)
        self._clock = clock

    def __repr__(self) -> str:
        return f"PostgresJobStore(schema={self._db.schema!r})"  # never the DSN: it may hold a password

    async def connect(self) -> None:
        await self._db.connect()

    async def migrate(self) -> None:
        await self._db.migrate()

    # -- enqueue ---------------------------------------------------------------------------------------------
    async def enqueue(
        self,
        jobs: Sequence[NewJob],
        rejected: Sequence[RejectedEvent] = (),
        *,
        timeout: float | None = None,
        source: SourceCount | None = None,
    ) -> EnqueueResult:
        async def insert(conn: asyncpg.Connection) -> EnqueueResult:
            now = self._clock()
            result = await self._insert(conn, jobs, rejected, now)
            if source is not None:
                await count_source(conn, source, now)
            return result

        if timeout is not None:
            result = await self._bounded_write(insert, timeout)
        elif source is not None or any(job.deduplicated for job in jobs):  # several statements: one transaction
            async with self._db.pool.acquire() as conn, conn.transaction():
                result = await insert(conn)
        else:  # INSERT_JOBS alone, a transaction by itself: no BEGIN and COMMIT round trips
            result = await self._insert(self._db.pool, jobs, rejected, self._clock())
        self._db.wake_local()
        return result

    async def check_writable(self, timeout: float) -> None:
        now = self._clock()
        await self._bounded_write(lambda conn: conn.execute(PROBE_WRITE, now), timeout)

    async def _bounded_write(self, write: Callable[[asyncpg.Connection], Awaitable[Any]], timeout: float) -> Any:
        """`write` in a transaction that commits within `timeout` or not at all (see bounded_write.py)."""
        gate = CommitGate()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        async def run() -> Any:
            try:
                async with self._db.pool.acquire(timeout=timeout) as conn:
                    transaction = conn.transaction()
                    await transaction.start()
                    try:
                        left = max(1, int((deadline - loop.time()) * 1000))
                        await conn.execute(LIMIT_STATEMENTS, str(left))
                        result = await write(conn)
                        if not gate.commit():
                            raise busy(timeout)
                    except BaseException:
                        await transaction.rollback()
                        raise
                    await transaction.commit()
                    return result
            except (TimeoutError, asyncpg.QueryCanceledError, asyncpg.LockNotAvailableError):
                raise busy(timeout) from None

        return await wait_bounded(asyncio.ensure_future(run()), gate, timeout)

    async def _insert(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        jobs: Sequence[NewJob],
        rejected: Sequence[RejectedEvent],
        now: datetime,
    ) -> EnqueueResult:
        keys = sorted({(j.destination, j.subscription, j.message_id or "") for j in jobs if j.deduplicated})
        fresh: set[tuple[str, str, str]] = set()
        if keys:  # sorted, so two enqueues racing on the same keys lock them in the same order
            rows = await conn.fetch(
                TAKE_DEDUPE_KEYS,
                [k[1] for k in keys],
                [k[2] for k in keys],
                now + self._dedupe_window,
                now,
                [k[0] for k in keys],
            )
            fresh = {(row[0], row[1], row[2]) for row in rows}
        keep: list[NewJob] = []
        for job in jobs:
            key = (job.destination, job.subscription, job.message_id or "")
            if job.deduplicated:
                if key not in fresh:
                    continue
                fresh.discard(key)  # a second copy inside this same batch is a duplicate too
            keep.append(job)
        rows_in = [_job_values(job) for job in keep] + [_rejected_values(event) for event in rejected]
        if rows_in:
            *columns, order_keys, destinations = (list(column) for column in zip(*rows_in, strict=True))
            await conn.execute(INSERT_JOBS, *columns, now, self._db.channel, order_keys, destinations)
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
        now = self._clock()
        lease_end = now + timedelta(seconds=lease_seconds)
        if batch_key is None:
            rows = await self._db.pool.fetch(CLAIM_OLDEST_KEY, now, owner, lease_end, max_jobs, destination)
        else:
            rows = await self._db.pool.fetch(CLAIM_KEY, now, owner, lease_end, max_jobs, destination, batch_key)
        return sorted((_job(row) for row in rows), key=lambda job: job.id)

    async def mark_sending(self, owner: str, job_ids: Collection[int]) -> set[int]:
        if not job_ids:
            return set()
        rows = await self._db.pool.fetch(MARK_SENDING, self._clock(), owner, list(job_ids))
        return {row[0] for row in rows}

    async def apply_outcomes(self, owner: str, outcomes: Sequence[tuple[int, JobOutcome]]) -> ApplyResult:
        delivered = [job_id for job_id, o in outcomes if isinstance(o, JobDelivered)]
        retry = [(job_id, o) for job_id, o in outcomes if isinstance(o, JobRetry)]
        dead = [(job_id, o) for job_id, o in outcomes if isinstance(o, JobDead)]
        if len(delivered) + len(retry) + len(dead) != len(outcomes):
            wrong = next(o for _, o in outcomes if not isinstance(o, JobDelivered | JobRetry | JobDead))
            raise TypeError(f"outcomes must be JobDelivered, JobRetry or JobDead, not {wrong!r}")
        now = self._clock()
        if delivered and not retry and not dead:  # the common case: one statement, a transaction by itself
            applied = {r[0] for r in await self._db.pool.fetch(MARK_DELIVERED, now, owner, delivered)}
        else:
            applied = await self._apply_mixed(owner, now, delivered, retry, dead)
        lost = tuple(job_id for job_id, _ in outcomes if job_id not in applied)
        return ApplyResult(applied=len(outcomes) - len(lost), lost=lost)

    async def _apply_mixed(
        self,
        owner: str,
        now: datetime,
        delivered: list[int],
        retry: list[tuple[int, JobRetry]],
        dead: list[tuple[int, JobDead]],
    ) -> set[int]:
        """Several kinds of outcome: one transaction; returns the ids of the jobs `owner` still held."""
        applied: set[int] = set()
        async with self._db.pool.acquire() as conn, conn.transaction():
            if delivered:
                applied.update(r[0] for r in await conn.fetch(MARK_DELIVERED, now, owner, delivered))
            if retry:
                ids, ats, errors = [i for i, _ in retry], [o.at for _, o in retry], [o.error for _, o in retry]
                applied.update(r[0] for r in await conn.fetch(MARK_RETRY, now, owner, ids, ats, errors))
            if dead:
                sent = [None if o.sent_row is None else dump_json(o.sent_row) for _, o in dead]
                answers = [None if o.response is None else dump_json(o.response) for _, o in dead]
                ids, reasons = [i for i, _ in dead], [o.reason for _, o in dead]
                applied.update(r[0] for r in await conn.fetch(MARK_DEAD, now, owner, ids, reasons, sent, answers))
        return applied

    async def release(self, owner: str, job_ids: Collection[int] | None = None) -> int:
        async with self._db.pool.acquire() as conn, conn.transaction():
            if job_ids is None:
                status = await conn.execute(RELEASE_ALL, self._clock(), owner)
            else:
                status = await conn.execute(RELEASE_SOME, self._clock(), owner, list(job_ids))
            count = int(status.split()[-1])
            if count:
                await conn.execute(NOTIFY, self._db.channel)
        return count

    # -- dead letters and replay -----------------------------------------------------------------------------
    async def get_job(self, job_id: int) -> Job | None:
        row = await self._db.pool.fetchrow(GET_JOB, job_id)
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
        rows = await self._db.pool.fetch(
            LIST_DEAD, include_rejected, subscription, since, reason_contains, include_replayed, limit, destination
        )
        return [_job(row) for row in rows]

    async def replay(self, job_ids: Collection[int], reroute: Reroute) -> EnqueueResult:
        now = self._clock()
        async with self._db.pool.acquire() as conn, conn.transaction():
            # Row locks taken here make a concurrent replay of the same ids wait, then skip them.
            taken = [_job(row) for row in await conn.fetch(TAKE_FOR_REPLAY, now, sorted(set(job_ids)))]
            keyed = [(j.subscription, j.message_id, j.destination) for j in taken if j.subscription and j.message_id]
            if keyed:
                await conn.execute(DROP_DEDUPE_KEYS, *([k[i] for k in keyed] for i in range(3)))
            new_jobs = [new for job in taken for new in reroute(job)]
            result = await self._insert(conn, new_jobs, (), now)
        self._db.wake_local()
        return result

    async def mark_entered(self, job_ids: Collection[int]) -> list[int]:
        rows = await self._db.pool.fetch(MARK_ENTERED, self._clock(), sorted(set(job_ids)))
        return sorted(row[0] for row in rows)

    # -- status, housekeeping, wake-ups ----------------------------------------------------------------------
    async def stats(self, last_errors: int = 10) -> QueueStats:
        async with self._db.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            counts = await conn.fetch(STATS_COUNTS)
            errors = await conn.fetch(STATS_ERRORS, last_errors)
        return QueueStats(
            counts=tuple(StateCount(sub, JobState(state), n, oldest, dest) for sub, state, n, oldest, dest in counts),
            last_errors=tuple(ErrorSample(i, sub, JobState(st), err, at, dest) for i, sub, st, err, at, dest in errors),
        )

    async def waiting(self) -> QueueStats:
        counts = await self._db.pool.fetch(WAITING_COUNTS)
        return QueueStats(
            counts=tuple(StateCount(sub, JobState(state), n, oldest, dest) for sub, state, n, oldest, dest in counts),
            last_errors=(),
        )

    async def purge(self, cutoffs: PurgeCutoffs) -> PurgeReport | None:
        key = self._db.lock_key("purge")  # per schema: test schemas and other stores never block each other
        async with self._db.pool.acquire() as lock:
            if not await lock.fetchval(TRY_PURGE_LOCK, key):
                return None  # another process is purging
            try:
                report = await self._purge(cutoffs)
                if report.removed or report.dedupe_keys or report.history_rows:
                    await lock.execute(VACUUM_PURGED)
            finally:
                await lock.fetchval(PURGE_UNLOCK, key)
        return report

    async def _purge(self, cutoffs: PurgeCutoffs) -> PurgeReport:
        report = PurgeReport()
        started = asyncio.get_running_loop().time()

        async def drain(sql: str, *args: Any, expire: bool = False) -> int:
            total = 0
            while True:  # a chunk per transaction (a statement): a writer waits at most one chunk
                began = asyncio.get_running_loop().time()
                rows = await self._db.pool.fetch(sql, args[0], PURGE_CHUNK, *args[1:])
                report.longest_chunk = max(report.longest_chunk, asyncio.get_running_loop().time() - began)
                if expire:
                    report.expired.update((dest or "", sub or "", reason or "") for dest, sub, reason in rows)
                total += len(rows)
                if len(rows) < PURGE_CHUNK:
                    return total

        report.delivered = await drain(PURGE_DELIVERED, cutoffs.delivered_before, cutoffs.entries_before)
        report.dead = await drain(PURGE_DEAD, cutoffs.dead_before, "dead", expire=True)
        report.rejected = await drain(PURGE_DEAD, cutoffs.rejected_before, "rejected")
        while count := int((await self._db.pool.execute(PURGE_DEDUPE, self._clock(), PURGE_CHUNK)).split()[-1]):
            report.dedupe_keys += count
            if count < PURGE_CHUNK:
                break
        async with self._db.pool.acquire() as conn, conn.transaction():
            for sql in PURGE_HISTORY:
                report.history_rows += int((await conn.execute(sql, cutoffs.history_before)).split()[-1])
        report.seconds = asyncio.get_running_loop().time() - started
        return report

    async def wait_for_work(self, timeout: float) -> bool:
        return await self._db.wait(timeout)

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
        await self._db.close()


def _job_values(job: NewJob) -> tuple[str | None, ...]:
    state = JobState.PENDING if job.dead_reason is None else JobState.DEAD
    return (
        job.subscription,
        job.action,
        job.batch_key,
        job.tenant,
        job.message_id,
        dump_json(job.event),
        dump_json(job.payload),
        None,
        state.value,
        job.dead_reason,
        None,
        job.order_key,
        job.destination,
    )


def _rejected_values(event: RejectedEvent) -> tuple[str | None, ...]:
    return (
        None,
        "",
        "",
        "",
        event.message_id,
        dump_json(event.event or {}),
        None,
        event.raw_body,
        JobState.REJECTED.value,
        None,
        event.reason,
        None,
        None,
    )
