"""Column order and value conversions shared by both stores, so a row reads back into the same `Job`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from sfmc_actions.js.values import json_text
from sfmc_actions.queue.jobs import Job, JobState

# A job is a row of `jobs` (its state, rewritten by claims and outcomes) and a row of `job_bodies` (event and
# payload, written once). Whole-job reads select STATE_COLUMNS then BODY_COLUMNS, in this order.
STATE_COLUMNS = (
    "id",
    "subscription",
    "action",
    "batch_key",
    "tenant",
    "message_id",
    "state",
    "attempts",
    "created_at",
    "available_at",
    "updated_at",
    "lease_owner",
    "last_error",
    "dead_reason",
    "sent_row",
    "delivered_at",
    "replayed_at",
    "in_doubt",
    "destination",
)
BODY_COLUMNS = ("event", "payload", "raw_body")
JOB_STATE_COLUMNS = ", ".join(STATE_COLUMNS)
# For "FROM jobs j JOIN job_bodies b ON b.job_id = j.id".
JOB_COLUMNS = ", ".join([f"j.{c}" for c in STATE_COLUMNS] + [f"b.{c}" for c in BODY_COLUMNS])
_STATES = {state.value: state for state in JobState}


def utc_now() -> datetime:
    return datetime.now(UTC)


def _default(value: Any) -> Any:
    # Payloads may arrive as pydantic models; stored as the JSON they would send.
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"cannot store a {type(value).__name__} in a job: payloads and events must be JSON values")


def dump_json(value: Any) -> str:
    # Lone surrogates (JavaScript strings may hold them) come out escaped: SQLite text and PostgreSQL json
    # take the escapes, and load_json reads them back exactly.
    return json_text(value, default=_default)


def load_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # what dump_json's fallback wrote


def job_from_row(row: Sequence[Any], to_time: Callable[[Any], datetime]) -> Job:
    """Build a Job from STATE_COLUMNS + BODY_COLUMNS values; `to_time` converts the backend's time values."""
    delivered_at, replayed_at = row[15], row[16]
    return Job(
        id=row[0],
        subscription=row[1],
        action=row[2],
        batch_key=row[3],
        tenant=row[4],
        message_id=row[5],
        state=_STATES[row[6]],
        attempts=row[7],
        created_at=to_time(row[8]),
        available_at=to_time(row[9]),
        updated_at=to_time(row[10]),
        lease_owner=row[11],
        last_error=row[12],
        dead_reason=row[13],
        sent_row=load_json(row[14]),
        delivered_at=None if delivered_at is None else to_time(delivered_at),
        replayed_at=None if replayed_at is None else to_time(replayed_at),
        in_doubt=bool(row[17]),
        destination=row[18],
        event=load_json(row[19]),
        payload=load_json(row[20]),
        raw_body=row[21],
    )
