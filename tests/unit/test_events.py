"""parse_event: Segment Spec checks, normalisation, error wording, and agreement with the pydantic models."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from sfmc_actions.errors import InvalidEventError
from sfmc_actions.events import EVENT_TYPES, Event, SegmentEvent, TrackEvent, parse_event

EXAMPLES = Path(__file__).parents[2] / "examples" / "events.ndjson"


def _event(**fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Order Completed", "userId": "u1", **fields}


def _error(raw: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw)
    return caught.value


def test_example_events_parse_and_round_trip() -> None:
    for line in EXAMPLES.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        event = parse_event(raw)
        assert event.to_dict() == {**raw, "messageId": event.message_id}
        assert event.type in EVENT_TYPES


def test_message_id_is_generated_and_kept() -> None:
    generated = parse_event(_event()).message_id
    assert uuid.UUID(generated).version == 4
    assert parse_event(_event(messageId="m-1")).message_id == "m-1"
    assert parse_event(_event(messageId="")).message_id != ""
    assert parse_event(_event(messageId=17)).message_id == "17"


def test_numeric_ids_become_strings_like_segment_libraries_send_them() -> None:
    event = parse_event({"type": "identify", "userId": 42, "anonymousId": 7.0})
    assert (event.user_id, event.anonymous_id) == ("42", "7")
    assert parse_event({"type": "group", "anonymousId": "a", "groupId": 12.5}).to_dict()["groupId"] == "12.5"
    alias = parse_event({"type": "alias", "userId": 2, "previousId": 1}).to_dict()
    assert (alias["userId"], alias["previousId"]) == ("2", "1")


def test_input_dict_is_not_changed_and_unknown_fields_are_kept() -> None:
    raw = {"type": "page", "anonymousId": 5, "name": "Home", "custom": {"nested": [1, 2]}, "writeKey": None}
    before = copy.deepcopy(raw)
    data = parse_event(raw).to_dict()
    assert raw == before
    assert data["custom"] == {"nested": [1, 2]} and "writeKey" in data
    assert data["anonymousId"] == "5"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ([1], "", 'an event must be a JSON object with a "type", got an array'),
        (
            {"userId": "u"},
            "type",
            'every event needs a type, one of "identify", "track", "page", "screen", "group", "alias"; it is missing',
        ),
        ({"type": "Track", "userId": "u"}, "type", "got 'Track'"),
        ({"type": 3, "userId": "u"}, "type", "got a number"),
        (
            {"type": "track", "userId": "u"},
            "event",
            'track events need "event", the name of the action the user performed (a non-empty string); it is missing',
        ),
        (_event(event=""), "event", "(a non-empty string); got an empty string"),
        (_event(event=5), "event", "got a number"),
        (
            {"type": "group", "userId": "u"},
            "groupId",
            'group events need "groupId", the id of the account or company (a non-empty string or a number); '
            "it is missing",
        ),
        ({"type": "alias", "userId": "u"}, "previousId", 'alias events need "previousId"'),
        ({"type": "alias", "anonymousId": "a", "previousId": "p"}, "userId", 'alias events need "userId"'),
        (
            {"type": "identify", "traits": {}},
            "userId",
            'every event needs "userId" or "anonymousId" (a non-empty string or a number); both are missing',
        ),
        ({"type": "identify", "userId": "", "anonymousId": None}, "userId", "both are missing"),
        ({"type": "identify", "userId": True}, "userId", "must be a string or a number (a user id), got a boolean"),
        ({"type": "identify", "userId": "u", "anonymousId": {}}, "anonymousId", "got an object"),
        (_event(messageId=[1]), "messageId", "must be a non-empty string (or left out to have one generated)"),
        (
            _event(timestamp="yesterday"),
            "timestamp",
            "must be an ISO-8601 date and time string such as \"2024-05-01T12:00:00.000Z\"; got 'yesterday'",
        ),
        (_event(sentAt=1700000000), "sentAt", "got a number"),
        (_event(receivedAt="2024-13-01T00:00:00Z"), "receivedAt", "ISO-8601"),
        (_event(originalTimestamp="2024-01-01T25:00:00Z"), "originalTimestamp", "ISO-8601"),
        (_event(properties=[1]), "properties", "must be a JSON object (or be left out), got an array"),
        ({"type": "identify", "userId": "u", "traits": "vip"}, "traits", "got a string"),
        (_event(context=1), "context", "got a number"),
        (_event(integrations=True), "integrations", "got a boolean"),
    ],
)
def test_bad_events_name_the_field_and_what_was_expected(raw: Any, field: str, message: str) -> None:
    error = _error(raw)
    assert error.field == field
    assert message in error.reason
    assert str(error).startswith(f"{field}: " if field else message)


@pytest.mark.parametrize(
    "timestamp",
    [
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.000+00:00",
        "2024-01-01",
        "2024-01-01t10:00:00z",
        "2024-01-01T00:00:00.1234567Z",
    ],
)
def test_iso8601_timestamps_are_kept_as_given(timestamp: str) -> None:
    assert parse_event(_event(timestamp=timestamp, sentAt=None)).to_dict()["timestamp"] == timestamp


def test_null_objects_and_timestamps_count_as_absent() -> None:
    data = parse_event(_event(properties=None, context=None, timestamp=None)).to_dict()
    assert data["properties"] is None and data["timestamp"] is None


def test_every_type_parses_with_its_required_fields() -> None:
    minimal = {
        "identify": {"userId": "u"},
        "track": {"anonymousId": "a", "event": "E"},
        "page": {"anonymousId": "a"},
        "screen": {"userId": "u", "name": "Home"},
        "group": {"userId": "u", "groupId": "g"},
        "alias": {"userId": "u", "previousId": "p"},
    }
    for kind, fields in minimal.items():
        event = parse_event({"type": kind, **fields})
        assert event.type == kind
        # The pydantic models describe the same rules: the normalised event validates against them.
        model = TypeAdapter(SegmentEvent).validate_python(event.to_dict())
        assert model.type == kind
        assert event.to_model().model_dump(exclude_unset=True)["type"] == kind


def test_model_keeps_unknown_fields_and_repr_hides_personal_data() -> None:
    event = parse_event(_event(userId="ada@example.com", messageId="m1", custom=1))
    model = event.to_model()
    assert isinstance(model, TrackEvent)
    assert model.model_extra == {"custom": 1}
    assert repr(event) == "Event(type='track', messageId='m1')"
    assert event == parse_event(_event(userId="ada@example.com", messageId="m1", custom=1))
    assert isinstance(event, Event)
