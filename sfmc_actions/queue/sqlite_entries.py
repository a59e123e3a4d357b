"""Journey entries and ordered rows on SQLite: what the job life cycle (sqlite_store.py) keeps besides states.

* Journey entries settle their own doubt: the window of a job's last send (`sent_from` is set by mark_sending,
  `sent_until` when its answer was lost) and SFMC's answer (requestId, eventInstanceId) for a delivered one.
* Audience exits keep the order of their row: a job with an `order_key` waits while an earlier job of the same
  key is still waiting (pending, or claimed by another batch).

Ids travel as one JSON array parameter, as in sqlite_store.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from sfmc_actions.queue.jobs import ApplyResult, DoubtRetry, EntryAnswer, EntryKey, EntrySend
from sfmc_actions.queue.rows import dump_json
from sfmc_actions.queue.sqlite_db import SqliteDatabase, to_time, write_transaction

_OWNED = "state = 'claimed' AND lease_owner = ?"
RECORD_ENTRY = f"UPDATE jobs SET request_id = ?, event_instance_id = ? WHERE id = ? AND {_OWNED}"
# As a retry (sqlite_store.MARK_RETRY), but the job stays in doubt whatever its marks: its answer was lost.
RETRY_IN_DOUBT = f"""
UPDATE jobs SET state = 'pending', available_at = ?, last_error = ?, updated_at = ?, lease_owner = NULL,
                sending_at = NULL, in_doubt = 1, sent_until = ?
WHERE id = ? AND {_OWNED}"""
ENTRY_SENDS = """
SELECT id, sent_from, sent_until, request_id, event_instance_id FROM jobs
WHERE id IN (SELECT value FROM json_each(?))"""
ENTRY_INSTANCES = """
SELECT event_instance_id FROM jobs INDEXED BY jobs_entries
WHERE request_id IS NOT NULL AND sent_from BETWEEN ? AND ? AND batch_key = ?"""
RECENT_ENTRY_KEYS = """
SELECT batch_key, min(sent_from), max(id) FROM jobs INDEXED BY jobs_entries
WHERE request_id IS NOT NULL AND sent_from >= ? AND tenant = ?
GROUP BY batch_key ORDER BY batch_key"""
# A delivered entry SFMC reported `errored` later: the contact did not enter. Its payload is what was sent.
DEAD_LETTER_ENTRY = """
UPDATE jobs SET state = 'dead', dead_reason = ?, last_error = ?, updated_at = ?,
                sent_row = (SELECT payload FROM job_bodies WHERE job_id = jobs.id)
WHERE event_instance_id = ? AND state = 'delivered'
RETURNING id"""
# Earlier jobs of the same row still waiting: pending (until their next attempt), or claimed by another batch
# (until it records an outcome: asked again after `busy`). This batch's own jobs are sent in order by the action.
WAITING_BEFORE = """
SELECT j.id, max(CASE WHEN e.state = 'pending' THEN e.available_at ELSE :busy END)
FROM jobs j JOIN jobs e INDEXED BY jobs_row_order ON e.order_key = j.order_key AND e.id < j.id
WHERE j.id IN (SELECT value FROM json_each(:ids)) AND e.state IN ('pending', 'claimed')
  AND NOT (e.state = 'claimed' AND e.lease_owner = :owner)
GROUP BY j.id"""
# Given back unattempted, as a release by id, but available only at the time given.
POSTPONE = f"""
UPDATE jobs SET state = 'pending', available_at = ?, updated_at = ?, attempts = max(attempts - 1, 0),
                lease_owner = NULL, sending_at = NULL
WHERE id = ? AND {_OWNED}"""


class SqliteEntries:
    def __init__(self, db: SqliteDatabase, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def record(self, owner: str, answers: Sequence[EntryAnswer]) -> int:
        params = [(a.request_id, a.event_instance_id, a.job_id, owner) for a in answers]

        def record(conn: sqlite3.Connection) -> int:
            with write_transaction(conn):
                return sum(conn.execute(RECORD_ENTRY, row).rowcount for row in params)

        return await self._db.run(record) if params else 0

    async def retry_in_doubt(self, owner: str, retries: Sequence[DoubtRetry]) -> ApplyResult:
        def retry(conn: sqlite3.Connection) -> list[int]:
            now = self._clock().timestamp()
            lost = []
            with write_transaction(conn):
                for r in retries:
                    values = (r.at.timestamp(), r.error, now, r.sent_until.timestamp(), r.job_id, owner)
                    if not conn.execute(RETRY_IN_DOUBT, values).rowcount:
                        lost.append(r.job_id)
            return lost

        lost = await self._db.run(retry) if retries else []
        return ApplyResult(applied=len(retries) - len(lost), lost=tuple(lost))

    async def sends(self, job_ids: Collection[int]) -> dict[int, EntrySend]:
        ids = dump_json(sorted(set(job_ids)))
        rows = await self._db.run(lambda conn: conn.execute(ENTRY_SENDS, (ids,)).fetchall())
        return {
            job_id: EntrySend(_time(sent_from), _time(sent_until), request_id, instance)
            for job_id, sent_from, sent_until, request_id, instance in rows
        }

    async def instance_ids(self, batch_key: str, start: datetime, end: datetime) -> set[str]:
        params = (start.timestamp(), end.timestamp(), batch_key)
        rows = await self._db.run(lambda conn: conn.execute(ENTRY_INSTANCES, params).fetchall())
        return {row[0] for row in rows}

    async def recent_keys(self, tenant: str, since: datetime) -> list[EntryKey]:
        params = (since.timestamp(), tenant)
        rows = await self._db.run(lambda conn: conn.execute(RECENT_ENTRY_KEYS, params).fetchall())
        return [EntryKey(key, to_time(first), job_id) for key, first, job_id in rows]

    async def dead_letter(self, errored: Sequence[tuple[str, str]]) -> list[int]:
        def dead(conn: sqlite3.Connection) -> list[int]:
            now = self._clock().timestamp()
            with write_transaction(conn):
                return [
                    row[0]
                    for instance, reason in errored
                    for row in conn.execute(DEAD_LETTER_ENTRY, (reason, reason, now, instance)).fetchall()
                ]

        return await self._db.run(dead) if errored else []


class SqliteRowOrder:
    def __init__(self, db: SqliteDatabase, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def waiting_before(self, owner: str, job_ids: Collection[int], busy: datetime) -> dict[int, datetime]:
        params = {"ids": dump_json(sorted(set(job_ids))), "owner": owner, "busy": busy.timestamp()}
        rows = await self._db.run(lambda conn: conn.execute(WAITING_BEFORE, params).fetchall())
        return {job_id: to_time(until) for job_id, until in rows}

    async def postpone(self, owner: str, until: Mapping[int, datetime]) -> int:
        def postpone(conn: sqlite3.Connection) -> int:
            now = self._clock().timestamp()
            with write_transaction(conn):
                return sum(
                    conn.execute(POSTPONE, (at.timestamp(), now, job_id, owner)).rowcount
                    for job_id, at in until.items()
                )

        return await self._db.run(postpone) if until else 0


def _time(value: float | None) -> datetime | None:
    return None if value is None else to_time(value)
