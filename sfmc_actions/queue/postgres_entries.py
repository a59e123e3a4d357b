"""Journey entries and ordered rows on PostgreSQL: what the job life cycle (postgres_store.py) keeps besides states.

The same statements as sqlite_entries.py (read its docstring), with ids and values as arrays (unnest) so that a
whole batch is one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from sfmc_actions.queue.jobs import ApplyResult, DoubtRetry, EntryAnswer, EntryKey, EntrySend
from sfmc_actions.queue.postgres_db import PostgresDatabase

# "IS TRUE": see postgres_store._OWNED (keeps the planner on the primary key).
_OWNED = "(j.state = 'claimed') IS TRUE AND j.lease_owner = $1"
RECORD_ENTRIES = f"""
UPDATE jobs j SET request_id = u.request_id, event_instance_id = u.instance
FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(id, request_id, instance)
WHERE j.id = u.id AND {_OWNED}"""
RETRY_IN_DOUBT = f"""
UPDATE jobs j SET state = 'pending', available_at = u.at, last_error = u.error, updated_at = $2, lease_owner = NULL,
                  sending_at = NULL, in_doubt = true, sent_until = u.sent_until
FROM unnest($3::bigint[], $4::timestamptz[], $5::text[], $6::timestamptz[]) AS u(id, at, error, sent_until)
WHERE j.id = u.id AND {_OWNED} RETURNING j.id"""
ENTRY_SENDS = """
SELECT id, sent_from, sent_until, request_id, event_instance_id FROM jobs WHERE id = ANY($1::bigint[])"""
ENTRY_INSTANCES = """
SELECT event_instance_id FROM jobs
WHERE request_id IS NOT NULL AND sent_from BETWEEN $1 AND $2 AND batch_key = $3"""
RECENT_ENTRY_KEYS = """
SELECT batch_key, min(sent_from), max(id) FROM jobs
WHERE request_id IS NOT NULL AND sent_from >= $1 AND tenant = $2
GROUP BY batch_key ORDER BY batch_key"""
DEAD_LETTER_ENTRIES = """
UPDATE jobs j SET state = 'dead', dead_reason = u.reason, last_error = u.reason, updated_at = $1,
                  sent_row = b.payload::jsonb
FROM unnest($2::text[], $3::text[]) AS u(instance, reason), job_bodies b
WHERE j.event_instance_id = u.instance AND (j.state = 'delivered') IS TRUE AND b.job_id = j.id
RETURNING j.id"""
WAITING_BEFORE = """
SELECT j.id, max(CASE WHEN e.state = 'pending' THEN e.available_at ELSE $3 END)
FROM jobs j JOIN jobs e ON e.order_key = j.order_key AND e.id < j.id
WHERE j.id = ANY($1::bigint[]) AND e.order_key IS NOT NULL AND e.state IN ('pending', 'claimed')
  AND NOT (e.state = 'claimed' AND e.lease_owner = $2)
GROUP BY j.id"""
POSTPONE = f"""
UPDATE jobs j SET state = 'pending', available_at = u.at, updated_at = $2, attempts = greatest(j.attempts - 1, 0),
                  lease_owner = NULL, sending_at = NULL
FROM unnest($3::bigint[], $4::timestamptz[]) AS u(id, at)
WHERE j.id = u.id AND {_OWNED}"""


class PostgresEntries:
    def __init__(self, db: PostgresDatabase, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def record(self, owner: str, answers: Sequence[EntryAnswer]) -> int:
        if not answers:
            return 0
        ids, requests = [a.job_id for a in answers], [a.request_id for a in answers]
        status = await self._db.pool.execute(
            RECORD_ENTRIES, owner, ids, requests, [a.event_instance_id for a in answers]
        )
        return int(status.split()[-1])

    async def retry_in_doubt(self, owner: str, retries: Sequence[DoubtRetry]) -> ApplyResult:
        if not retries:
            return ApplyResult(0)
        rows = await self._db.pool.fetch(
            RETRY_IN_DOUBT,
            owner,
            self._clock(),
            [r.job_id for r in retries],
            [r.at for r in retries],
            [r.error for r in retries],
            [r.sent_until for r in retries],
        )
        applied = {row[0] for row in rows}
        lost = tuple(r.job_id for r in retries if r.job_id not in applied)
        return ApplyResult(applied=len(retries) - len(lost), lost=lost)

    async def sends(self, job_ids: Collection[int]) -> dict[int, EntrySend]:
        rows = await self._db.pool.fetch(ENTRY_SENDS, sorted(set(job_ids)))
        return {row[0]: EntrySend(row[1], row[2], row[3], row[4]) for row in rows}

    async def instance_ids(self, batch_key: str, start: datetime, end: datetime) -> set[str]:
        return {row[0] for row in await self._db.pool.fetch(ENTRY_INSTANCES, start, end, batch_key)}

    async def recent_keys(self, tenant: str, since: datetime) -> list[EntryKey]:
        rows = await self._db.pool.fetch(RECENT_ENTRY_KEYS, since, tenant)
        return [EntryKey(key, first, job_id) for key, first, job_id in rows]

    async def dead_letter(self, errored: Sequence[tuple[str, str]]) -> list[int]:
        if not errored:
            return []
        instances, reasons = [e[0] for e in errored], [e[1] for e in errored]
        rows = await self._db.pool.fetch(DEAD_LETTER_ENTRIES, self._clock(), instances, reasons)
        return sorted(row[0] for row in rows)


class PostgresRowOrder:
    def __init__(self, db: PostgresDatabase, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def waiting_before(self, owner: str, job_ids: Collection[int], busy: datetime) -> dict[int, datetime]:
        rows = await self._db.pool.fetch(WAITING_BEFORE, sorted(set(job_ids)), owner, busy)
        return {row[0]: row[1] for row in rows}

    async def postpone(self, owner: str, until: Mapping[int, datetime]) -> int:
        if not until:
            return 0
        status = await self._db.pool.execute(POSTPONE, owner, self._clock(), list(until), list(until.values()))
        return int(status.split()[-1])
