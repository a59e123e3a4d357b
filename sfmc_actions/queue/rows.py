"""Column order and value conversions shared by both stores, so a row reads back into the same `Job`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from sfmc_actions.queue.jobs import Job, JobState

# Every SELECT / RETURNING of a whole job lists exactly these, in this order.
JOB_COLUMNS = (
    "id, subscription, action, batch_key, tenant, message_id, event, payload, raw_body, state, attempts, "
    "created_at, available_at, updated_at, lease_owner, last_error, dead_reason, sent_row, delivered_at, "
    "replayed_at"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _default(value: Any) -> Any:
    # Payloads may arrive as pydantic models; stored as the JSON they would send.
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"cannot store a {type(value).__name__} in a job: payloads and events must be JSON values")


def dump_json(value: Any) -> str:
    return orjson.dumps(value, default=_default).decode()


def load_json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def job_from_row(row: Sequence[Any], to_time: Callable[[Any], datetime]) -> Job:
    """Build a Job from a row in JOB_COLUMNS order; `to_time` converts the backend's time values."""

    def opt_time(value: Any) -> datetime | None:
        return None if value is None else to_time(value)

    return Job(
        id=row[0],
        subscription=row[1],
        action=row[2],
        batch_key=row[3],
        tenant=row[4],
        message_id=row[5],
        event=load_json(row[6]),
        payload=load_json(row[7]),
        raw_body=row[8],
        state=JobState(row[9]),
        attempts=row[10],
        created_at=to_time(row[11]),
        available_at=to_time(row[12]),
        updated_at=to_time(row[13]),
        lease_owner=row[14],
        last_error=row[15],
        dead_reason=row[16],
        sent_row=load_json(row[17]),
        delivered_at=opt_time(row[18]),
        replayed_at=opt_time(row[19]),
    )
