"""Property (issue 11): whatever a batch mixes, good events and arbitrary JSON in every field, a well-formed
batch is answered 200 by a real server over a real SQLite store, every good event is accepted, every other one
is rejected with a reason, and what the answer says is what was committed. Never a 5xx.

Good events are valid Segment events whose free-form parts (properties, traits, context) hold arbitrary JSON,
so the real routes, mappings and payload checks of the quick start run on them. Bad ones replace any field,
or the whole event, with arbitrary JSON; some arrive as JSON text orjson refuses (lone surrogates, numbers
beyond a double, nesting past the parser's depth).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfmc_actions.events import EVENT_TYPES
from tests.integration.ingest.conftest import WRITE_KEY

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
FIELDS = (
    "type",
    "userId",
    "anonymousId",
    "messageId",
    "event",
    "groupId",
    "previousId",
    "name",
    "timestamp",
    "sentAt",
    "originalTimestamp",
    "receivedAt",
    "properties",
    "traits",
    "context",
    "integrations",
)
VALID_DATES = st.sampled_from(
    [
        "2026-05-01T12:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2026-05-01",
    ]
)
DATES = VALID_DATES | st.just("not a date")
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | DATES
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
IDS = st.text(min_size=1, max_size=12) | st.integers(min_value=0, max_value=10**6)


@st.composite
def good_event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(EVENT_TYPES))
    event: dict[str, Any] = {"type": kind, "userId": draw(IDS)}
    if kind == "track":
        event["event"] = draw(st.sampled_from(["Order Completed", "Signed Up", "Product Viewed"]))
        event["properties"] = draw(
            st.fixed_dictionaries(
                {"order_id": IDS, "revenue": SCALARS, "currency": st.sampled_from(["EUR", "USD", "EURO"])}
            )
            | st.dictionaries(st.text(max_size=8), JSON, max_size=4)
        )
    if kind == "identify":
        event["traits"] = draw(st.dictionaries(st.sampled_from(["email", "plan", "first_name"]), JSON, max_size=3))
    if kind == "group":
        event["groupId"] = draw(IDS)
    if kind == "alias":
        event["previousId"] = draw(IDS)
    if draw(st.booleans()):
        event["context"] = draw(st.dictionaries(st.text(max_size=8), JSON, max_size=3))
    if draw(st.booleans()):  # a device clock anywhere from year 1 to 9999: the skew correction must not fail
        event["sentAt"], event["originalTimestamp"] = draw(VALID_DATES), draw(VALID_DATES)
    return event


def nested_text(levels: int) -> bytes:
    return b'{"type":"identify","userId":"deep","traits":' + b'{"a":' * levels + b"1" + b"}" * levels + b"}"


RAW_BAD = st.sampled_from(
    [
        b'{"type":"identify","userId":"s","traits":{"name":"half an emoji \\ud83d"}}',  # accepted, as U+FFFD
        b'{"type":"identify","userId":"n","traits":{"big":1e400}}',  # accepted, as JSON.parse reads it
        nested_text(70),
        nested_text(300),
        nested_text(2000),
    ]
)


@st.composite
def bad_item(draw: st.DrawFn) -> object:
    if draw(st.booleans()):
        return draw(JSON)  # anything at all in place of the event
    event = draw(good_event())
    for field in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)):
        event[field] = draw(JSON)
    return event


def encode(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()  # integers beyond 64 bits too (orjson refuses them)


ITEM = st.one_of(
    good_event().map(lambda e: ("good", encode(e))),
    bad_item().map(lambda e: ("other", encode(e))),
    RAW_BAD.map(lambda raw: ("other", raw)),
)


def counts(db: Path) -> tuple[int, int]:
    """(rejected rows, other jobs) in the store."""
    conn = sqlite3.connect(db)
    try:
        rejected = conn.execute("SELECT count(*) FROM jobs WHERE state = 'rejected'").fetchone()[0]
        jobs = conn.execute("SELECT count(*) FROM jobs WHERE state != 'rejected'").fetchone()[0]
        return int(rejected), int(jobs)
    finally:
        conn.close()


@pytest.mark.slow
@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples in CI every time
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(items=st.lists(ITEM, min_size=1, max_size=40))
def test_a_well_formed_batch_is_always_200_and_only_its_bad_events_are_rejected(
    server: str, sqlite_url: str, items: list[tuple[str, bytes]]
) -> None:
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    before = counts(db) if db.exists() else (0, 0)
    body = b'{"batch":[' + b",".join(raw for _, raw in items) + b"]}"
    response = httpx.post(f"{server}/v1/batch", content=body, headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text[:500]
    answer = response.json()
    assert answer["success"] is True
    assert answer["accepted"] + answer["rejected"] == len(items)
    errors = {error["index"]: error for error in answer.get("errors", [])}
    assert len(errors) == answer["rejected"]
    for index, (kind, _) in enumerate(items):
        if kind == "good":
            assert index not in errors, errors.get(index)
    for error in errors.values():
        assert isinstance(error["message"], str) and len(error["message"]) > 10
    after = counts(db)
    assert after[0] - before[0] == answer["rejected"]  # every rejected event committed (under the bound of 100)
    assert after[1] - before[1] == answer["jobs"]
