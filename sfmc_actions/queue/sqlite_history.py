"""Delivery history on SQLite (history.py says what is counted and where). Reads run on the store's read
connection (its own thread, WAL snapshots), so a console refreshing charts never holds up claims or ingest."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

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
from sfmc_actions.queue.rows import dump_json
from sfmc_actions.queue.sqlite_db import SqliteDatabase, to_time, write_transaction

_COUNTS = ", ".join(f"sum({name})" for name in (*OUTCOME_FIELDS, *REQUEST_FIELDS))
TOTALS = f"""
SELECT destination, subscription, {_COUNTS} FROM history
WHERE minute >= ? AND minute < ? GROUP BY destination, subscription"""
LATENCY = """
SELECT destination, subscription, le_ms, sum(count) FROM history_latency
WHERE minute >= ? AND minute < ? GROUP BY destination, subscription, le_ms"""
SOURCES = """
SELECT source, sum(accepted), sum(rejected), sum(unmatched) FROM history_sources
WHERE minute >= ? AND minute < ? GROUP BY source"""
SERIES = """
SELECT (minute - :since) / :step, sum(delivered), sum(dead), sum(in_doubt) FROM history
WHERE minute >= :since AND minute < :until GROUP BY 1"""
SERIES_LATENCY = """
SELECT (minute - :since) / :step, le_ms, sum(count) FROM history_latency
WHERE minute >= :since AND minute < :until GROUP BY 1, 2"""
COUNT_SOURCE = """
INSERT INTO history_sources (minute, source, accepted, rejected, unmatched) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (minute, source) DO UPDATE SET accepted = accepted + excluded.accepted,
    rejected = rejected + excluded.rejected, unmatched = unmatched + excluded.unmatched"""
COUNT = """
INSERT INTO history (minute, destination, subscription, {what}) VALUES (?, ?, ?, ?)
ON CONFLICT (minute, destination, subscription) DO UPDATE SET {what} = {what} + excluded.{what}"""
INBOX = """
SELECT i.id, i.job_id, i.kind, i.at, i.error, j.subscription, j.sent_row, b.event, j.destination, j.last_response
FROM error_inbox i LEFT JOIN jobs j ON j.id = i.job_id LEFT JOIN job_bodies b ON b.job_id = i.job_id
ORDER BY i.id LIMIT ?"""
DELETE_INBOX = "DELETE FROM error_inbox WHERE id <= ?"
UPSERT_GROUP = """
INSERT INTO error_groups (destination, subscription, error, group_id, count, first_seen, last_seen)
VALUES (?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (destination, subscription, error) DO UPDATE SET count = count + 1,
    first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)"""
ADD_SAMPLE = """
INSERT INTO error_samples (group_id, job_id, at, error, event, request, response) VALUES (?, ?, ?, ?, ?, ?, ?)"""
TRIM_SAMPLES = f"""
DELETE FROM error_samples WHERE group_id = ? AND id NOT IN
    (SELECT id FROM error_samples WHERE group_id = ? ORDER BY at DESC, id DESC LIMIT {SAMPLES_KEPT})"""
MARK_GROUP = "UPDATE jobs SET error_group = ? WHERE id = ? AND state = 'dead'"
GROUPS = """
SELECT destination, subscription, error, group_id, count, first_seen, last_seen FROM error_groups
WHERE last_seen >= ? AND first_seen <= ? ORDER BY last_seen DESC"""
SAMPLES = """
SELECT group_id, job_id, at, error, event, request, response FROM error_samples
WHERE group_id IN (SELECT value FROM json_each(?)) ORDER BY at DESC, id DESC"""
GROUP_JOBS = """
SELECT id FROM jobs INDEXED BY jobs_error_group WHERE error_group = ? AND state = 'dead'
ORDER BY updated_at DESC LIMIT ?"""
OLDEST_JOB = "SELECT created_at FROM jobs ORDER BY id LIMIT 1"
OLDEST_WAITING = "SELECT created_at FROM jobs WHERE state IN ('pending', 'claimed') ORDER BY id LIMIT 1"
FOLD_CHUNK = 500


class SqliteHistory:
    def __init__(self, path: Path, db: SqliteDatabase, read_db: SqliteDatabase, clock: Callable[[], datetime]) -> None:
        self._path = path
        self._db = db
        self._read_db = read_db
        self._clock = clock
        self.buffer = HistoryBuffer()

    # -- reads ------------------------------------------------------------------------------------------------
    def _window(self, since: datetime, until: datetime | None) -> tuple[int, int]:
        end = until or self._clock()
        return minute_of(since), minute_of(end) + 60

    async def totals(self, since: datetime, until: datetime | None = None) -> list[SubscriptionTotals]:
        window = self._window(since, until)

        def read(conn: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            conn.execute("BEGIN")
            try:
                return conn.execute(TOTALS, window).fetchall(), conn.execute(LATENCY, window).fetchall()
            finally:
                conn.execute("COMMIT")

        counts, latency = await self._read_db.run(read)
        found: dict[tuple[str, str], SubscriptionTotals] = {}
        for destination, subscription, *values in counts:
            found[(destination, subscription)] = SubscriptionTotals.from_sums(destination, subscription, values)
        for destination, subscription, le_ms, count in latency:
            totals = found.setdefault((destination, subscription), SubscriptionTotals(destination, subscription))
            totals.latency_buckets[bucket_bound(le_ms)] = int(count)
        return sorted(found.values(), key=lambda t: (t.destination, t.subscription))

    async def source_totals(self, since: datetime, until: datetime | None = None) -> list[SourceTotals]:
        window = self._window(since, until)
        rows = await self._read_db.run(lambda conn: conn.execute(SOURCES, window).fetchall())
        return [SourceTotals(s, int(a), int(r), int(u)) for s, a, r, u in sorted(rows)]

    async def series(self, since: datetime, until: datetime, step_seconds: int) -> list[SeriesPoint]:
        if step_seconds < 60 or step_seconds % 60:
            raise ValueError(f"series step must be a whole number of minutes (>= 60 s), not {step_seconds} s")
        start, end = self._window(since, until)
        params = {"since": start, "until": end, "step": step_seconds}

        def read(conn: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            conn.execute("BEGIN")
            try:
                return conn.execute(SERIES, params).fetchall(), conn.execute(SERIES_LATENCY, params).fetchall()
            finally:
                conn.execute("COMMIT")

        counts, latency = await self._read_db.run(read)
        steps = -(-(end - start) // step_seconds)
        points = [SeriesPoint(to_time(start + n * step_seconds)) for n in range(steps)]
        for n, delivered, dead, in_doubt in counts:
            point = points[int(n)]
            point.delivered, point.dead, point.in_doubt = int(delivered), int(dead), int(in_doubt)
        for n, le_ms, count in latency:
            buckets = points[int(n)].latency_buckets
            buckets[bucket_bound(le_ms)] = buckets.get(bucket_bound(le_ms), 0) + int(count)
        return points

    async def error_groups(self, since: datetime, until: datetime | None = None) -> list[ErrorGroup]:
        window = (since.timestamp(), (until or self._clock()).timestamp())

        def read(conn: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            conn.execute("BEGIN")
            try:
                groups = conn.execute(GROUPS, window).fetchall()
                ids = dump_json([row[3] for row in groups])
                return groups, conn.execute(SAMPLES, (ids,)).fetchall()
            finally:
                conn.execute("COMMIT")

        groups, samples = await self._read_db.run(read)
        by_group: dict[str, list[ErrorSample]] = {}
        for gid, job_id, at, error, event, request, response in samples:
            by_group.setdefault(gid, []).append(
                ErrorSample(job_id, to_time(at), error, _load(event), _load(request), _load(response))
            )
        return [
            ErrorGroup(dest, sub, error, count, to_time(first), to_time(last), tuple(by_group.get(gid, [])))
            for dest, sub, error, gid, count, first, last in groups
        ]

    async def group_jobs(self, group: str, limit: int = 100) -> list[int]:
        rows = await self._read_db.run(lambda conn: conn.execute(GROUP_JOBS, (group, limit)).fetchall())
        return [row[0] for row in rows]

    async def store_facts(self) -> StoreFacts:
        def read(conn: sqlite3.Connection) -> tuple[Any, Any]:
            oldest = conn.execute(OLDEST_JOB).fetchone()
            waiting = conn.execute(OLDEST_WAITING).fetchone()
            return (oldest and oldest[0]), (waiting and waiting[0])

        oldest, waiting = await self._read_db.run(read)
        size = sum(_size(Path(f"{self._path}{suffix}")) for suffix in ("", "-wal"))
        return StoreFacts(
            size, None if oldest is None else to_time(oldest), None if waiting is None else to_time(waiting)
        )

    # -- writes -----------------------------------------------------------------------------------------------
    def count(self, destination: str, subscription: str, what: str, n: int = 1) -> None:
        self.buffer.add(minute_of(self._clock()), destination, subscription, what, n)

    async def flush(self) -> None:
        rows = self.buffer.take()
        if not rows:
            return

        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn):
                for minute, destination, subscription, what, n in rows:
                    conn.execute(COUNT.format(what=what), (minute, destination, subscription, n))

        try:
            await self._db.run(write)
        except BaseException:
            self.buffer.put_back(rows)
            raise

    async def fold_errors(self) -> int:
        def fold(conn: sqlite3.Connection) -> int:
            with write_transaction(conn):
                rows = conn.execute(INBOX, (FOLD_CHUNK,)).fetchall()
                found = [_occurrence(row) for row in rows if row[5] is not None]  # None: purged, or rejected
                sampled = newest_per_group([gid for gid, *_ in found])
                touched: set[str] = set()
                for index, (gid, destination, normalized, row) in enumerate(found):
                    _, job_id, kind, at, error, subscription, sent_row, event, _, answer = row
                    conn.execute(UPSERT_GROUP, (destination, subscription, normalized, gid, at, at))
                    if index in sampled:
                        request, response = (sent_row, answer) if kind == "dead" else (None, None)
                        conn.execute(ADD_SAMPLE, (gid, job_id, at, error or "", event, request, response))
                    if kind != "retry":
                        conn.execute(MARK_GROUP, (gid, job_id))
                    touched.add(gid)
                for gid in touched:
                    conn.execute(TRIM_SAMPLES, (gid, gid))
                if rows:
                    conn.execute(DELETE_INBOX, (rows[-1][0],))
                return len(rows)

        folded = 0
        while (count := await self._db.run(fold)) > 0:
            folded += count
        return folded


def _occurrence(row: Any) -> tuple[str, str, str, Any]:
    """(group id, destination, normalized error, row) of an inbox row."""
    destination = destination_of(row[8])
    normalized = normalize_error(row[4] or "(no reason given)")
    return group_id(destination, row[5], normalized), destination, normalized, row


def count_source(conn: sqlite3.Connection, count: SourceCount, now: float) -> None:
    """Inside enqueue's transaction: what one request did, per source."""
    if count.accepted or count.rejected or count.unmatched:
        minute = int(now) // 60 * 60
        conn.execute(COUNT_SOURCE, (minute, count.source, count.accepted, count.rejected, count.unmatched))


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
