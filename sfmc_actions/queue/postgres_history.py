"""Delivery history on PostgreSQL: the same reads and writes as sqlite_history.py (history.py says what is
counted and where), with the minute as a timestamptz and JSON as jsonb."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from sfmc_actions.queue.history import (
    OUTCOME_FIELDS,
    REQUEST_FIELDS,
    SAMPLES_KEPT,
    ErrorGroup,
    ErrorSample,
    HistoryBuffer,
    SeriesPoint,
    SourceCount,
    SourceTotals,
    StoreFacts,
    SubscriptionTotals,
    bucket_bound,
    destination_of,
    group_id,
    minute_of,
    newest_per_group,
    normalize_error,
)
from sfmc_actions.queue.postgres_db import PostgresDatabase

_COUNTS = ", ".join(f"sum({name})" for name in (*OUTCOME_FIELDS, *REQUEST_FIELDS))
TOTALS = f"""
SELECT destination, subscription, {_COUNTS} FROM history
WHERE minute >= $1 AND minute < $2 GROUP BY destination, subscription"""
LATENCY = """
SELECT destination, subscription, le_ms, sum(count) FROM history_latency
WHERE minute >= $1 AND minute < $2 GROUP BY destination, subscription, le_ms"""
SOURCES = """
SELECT source, sum(accepted), sum(rejected), sum(unmatched) FROM history_sources
WHERE minute >= $1 AND minute < $2 GROUP BY source ORDER BY source"""
_STEP = "floor(extract(epoch FROM minute - $1) / $3)::bigint"
SERIES = f"""
SELECT {_STEP}, sum(delivered), sum(dead), sum(in_doubt) FROM history
WHERE minute >= $1 AND minute < $2 GROUP BY 1"""
SERIES_LATENCY = f"""
SELECT {_STEP}, le_ms, sum(count) FROM history_latency WHERE minute >= $1 AND minute < $2 GROUP BY 1, 2"""
COUNT_SOURCE = """
INSERT INTO history_sources (minute, source, accepted, rejected, unmatched) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (minute, source) DO UPDATE SET accepted = history_sources.accepted + excluded.accepted,
    rejected = history_sources.rejected + excluded.rejected,
    unmatched = history_sources.unmatched + excluded.unmatched"""
COUNT = """
INSERT INTO history (minute, destination, subscription, {what}) VALUES ($1, $2, $3, $4)
ON CONFLICT (minute, destination, subscription) DO UPDATE SET {what} = history.{what} + excluded.{what}"""
# FOR UPDATE SKIP LOCKED: two processes folding at once take different rows, so none is grouped twice.
INBOX = """
SELECT i.id, i.job_id, i.kind, i.at, i.error, j.subscription, j.sent_row::text, b.event::text, j.destination,
       j.last_response::text
FROM (SELECT * FROM error_inbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) i
LEFT JOIN jobs j ON j.id = i.job_id LEFT JOIN job_bodies b ON b.job_id = i.job_id ORDER BY i.id"""
DELETE_INBOX = "DELETE FROM error_inbox WHERE id = ANY($1::bigint[])"
UPSERT_GROUP = """
INSERT INTO error_groups (destination, subscription, error, group_id, count, first_seen, last_seen)
VALUES ($1, $2, $3, $4, 1, $5, $5)
ON CONFLICT (destination, subscription, error) DO UPDATE SET count = error_groups.count + 1,
    first_seen = least(error_groups.first_seen, excluded.first_seen),
    last_seen = greatest(error_groups.last_seen, excluded.last_seen)"""
ADD_SAMPLE = """
INSERT INTO error_samples (group_id, job_id, at, error, event, request, response)
VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb)"""
TRIM_SAMPLES = f"""
DELETE FROM error_samples WHERE group_id = $1 AND id NOT IN
    (SELECT id FROM error_samples WHERE group_id = $1 ORDER BY at DESC, id DESC LIMIT {SAMPLES_KEPT})"""
MARK_GROUP = "UPDATE jobs SET error_group = $1 WHERE id = $2 AND state = 'dead'"
GROUPS = """
SELECT destination, subscription, error, group_id, count, first_seen, last_seen FROM error_groups
WHERE last_seen >= $1 AND first_seen <= $2 ORDER BY last_seen DESC"""
SAMPLES = """
SELECT group_id, job_id, at, error, event::text, request::text, response::text FROM error_samples
WHERE group_id = ANY($1::text[]) ORDER BY at DESC, id DESC"""
GROUP_JOBS = """
SELECT id FROM jobs WHERE error_group = $1 AND state = 'dead' ORDER BY updated_at DESC LIMIT $2"""
OLDEST_JOB = "SELECT created_at FROM jobs ORDER BY id LIMIT 1"
OLDEST_WAITING = "SELECT min(created_at) FROM jobs WHERE state IN ('pending', 'claimed')"
# Every table and index of this schema (TOAST included): what the store occupies.
STORE_BYTES = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"""
FOLD_CHUNK = 500


def _minute(at: datetime) -> datetime:
    return datetime.fromtimestamp(minute_of(at), UTC)


class PostgresHistory:
    def __init__(self, db: PostgresDatabase, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self.buffer = HistoryBuffer()

    def _window(self, since: datetime, until: datetime | None) -> tuple[datetime, datetime]:
        return _minute(since), _minute(until or self._clock()) + timedelta(minutes=1)

    async def totals(self, since: datetime, until: datetime | None = None) -> list[SubscriptionTotals]:
        window = self._window(since, until)
        async with self._db.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            counts = await conn.fetch(TOTALS, *window)
            latency = await conn.fetch(LATENCY, *window)
        found: dict[tuple[str, str], SubscriptionTotals] = {}
        for destination, subscription, *values in counts:
            found[(destination, subscription)] = SubscriptionTotals.from_sums(destination, subscription, values)
        for destination, subscription, le_ms, count in latency:
            totals = found.setdefault((destination, subscription), SubscriptionTotals(destination, subscription))
            totals.latency_buckets[bucket_bound(le_ms)] = int(count)
        return sorted(found.values(), key=lambda t: (t.destination, t.subscription))

    async def source_totals(self, since: datetime, until: datetime | None = None) -> list[SourceTotals]:
        rows = await self._db.pool.fetch(SOURCES, *self._window(since, until))
        return [SourceTotals(s, int(a), int(r), int(u)) for s, a, r, u in rows]

    async def series(self, since: datetime, until: datetime, step_seconds: int) -> list[SeriesPoint]:
        if step_seconds < 60 or step_seconds % 60:
            raise ValueError(f"series step must be a whole number of minutes (>= 60 s), not {step_seconds} s")
        start, end = self._window(since, until)
        async with self._db.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            counts = await conn.fetch(SERIES, start, end, step_seconds)
            latency = await conn.fetch(SERIES_LATENCY, start, end, step_seconds)
        steps = -(-int((end - start).total_seconds()) // step_seconds)
        points = [SeriesPoint(start + timedelta(seconds=n * step_seconds)) for n in range(steps)]
        for n, delivered, dead, in_doubt in counts:
            point = points[int(n)]
            point.delivered, point.dead, point.in_doubt = int(delivered), int(dead), int(in_doubt)
        for n, le_ms, count in latency:
            buckets = points[int(n)].latency_buckets
            buckets[bucket_bound(le_ms)] = buckets.get(bucket_bound(le_ms), 0) + int(count)
        return points

    async def error_groups(self, since: datetime, until: datetime | None = None) -> list[ErrorGroup]:
        async with self._db.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            groups = await conn.fetch(GROUPS, since, until or self._clock())
            samples = await conn.fetch(SAMPLES, [row[3] for row in groups])
        by_group: dict[str, list[ErrorSample]] = {}
        for gid, job_id, at, error, event, request, response in samples:
            by_group.setdefault(gid, []).append(
                ErrorSample(job_id, at, error, _load(event), _load(request), _load(response))
            )
        return [
            ErrorGroup(dest, sub, error, count, first, last, tuple(by_group.get(gid, [])))
            for dest, sub, error, gid, count, first, last in groups
        ]

    async def group_jobs(self, group: str, limit: int = 100) -> list[int]:
        return [row[0] for row in await self._db.pool.fetch(GROUP_JOBS, group, limit)]

    async def store_facts(self) -> StoreFacts:
        async with self._db.pool.acquire() as conn:
            size = await conn.fetchval(STORE_BYTES)
            oldest = await conn.fetchval(OLDEST_JOB)
            waiting = await conn.fetchval(OLDEST_WAITING)
        return StoreFacts(int(size), oldest, waiting)

    # -- writes -----------------------------------------------------------------------------------------------
    def count(self, destination: str, subscription: str, what: str, n: int = 1) -> None:
        self.buffer.add(minute_of(self._clock()), destination, subscription, what, n)

    async def flush(self) -> None:
        rows = sorted(self.buffer.take())  # sorted: flushes of several processes lock rows in one order
        if not rows:
            return
        try:
            async with self._db.pool.acquire() as conn, conn.transaction():
                for minute, destination, subscription, what, n in rows:
                    minute_at = datetime.fromtimestamp(minute, UTC)
                    await conn.execute(COUNT.format(what=what), minute_at, destination, subscription, n)
        except BaseException:
            self.buffer.put_back(rows)
            raise

    async def fold_errors(self) -> int:
        folded = 0
        while count := await self._fold_chunk():
            folded += count
        return folded

    async def _fold_chunk(self) -> int:
        async with self._db.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(INBOX, FOLD_CHUNK)
            occurrences = []
            for _, job_id, kind, at, error, subscription, sent_row, event, job_destination, answer in rows:
                if subscription is None:  # purged before it was folded (or a rejected event): nothing to group
                    continue
                destination = destination_of(job_destination)
                normalized = normalize_error(error or "(no reason given)")
                gid = group_id(destination, subscription, normalized)
                occurrences.append(
                    (destination, subscription, normalized, gid, job_id, kind, at, error, sent_row, event, answer)
                )
            sampled = {occurrences[i][4] for i in newest_per_group([o[3] for o in occurrences])}  # their job ids
            # sorted by group: two folding processes lock group rows in the same order
            for destination, subscription, normalized, gid, job_id, kind, at, error, sent_row, event, answer in sorted(
                occurrences, key=lambda o: (o[0], o[1], o[2], o[4])
            ):
                await conn.execute(UPSERT_GROUP, destination, subscription, normalized, gid, at)
                if job_id in sampled:
                    request, response = (sent_row, answer) if kind == "dead" else (None, None)
                    await conn.execute(ADD_SAMPLE, gid, job_id, at, error or "", event, request, response)
                if kind != "retry":
                    await conn.execute(MARK_GROUP, gid, job_id)
            for gid in sorted({o[3] for o in occurrences}):
                await conn.execute(TRIM_SAMPLES, gid)
            if rows:
                await conn.execute(DELETE_INBOX, [row[0] for row in rows])
            return len(rows)


async def count_source(conn: asyncpg.Connection | asyncpg.Pool, count: SourceCount, now: datetime) -> None:
    """Inside enqueue's transaction: what one request did, per source."""
    if count.accepted or count.rejected or count.unmatched:
        await conn.execute(COUNT_SOURCE, _minute(now), count.source, count.accepted, count.rejected, count.unmatched)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)
