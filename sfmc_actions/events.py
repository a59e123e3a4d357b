"""Segment Spec events: identify, track, page, screen, group, alias.

`parse_event(raw)` checks one raw event (a dict decoded from JSON) and returns an `Event` holding the
normalised dict; the router keeps and maps that dict. Rules, from the Segment Spec and the HTTP
Tracking API docs (segment.com/docs/connections/spec/common, .../sources/catalog/libraries/server/http-api):

* `type` is one of the six calls;
* every call needs `userId` or `anonymousId`; `alias` needs `userId` and `previousId` (the Spec's
  alias fields), `group` needs `groupId`, `track` needs `event` (a non-empty string);
* ids may be numbers: Segment's libraries send them as strings (analytics-python's `stringify_id`),
  so numbers are turned into their text here ("42"; 42.0 also gives "42", as JSON in JavaScript
  would). Booleans and objects are refused;
* `messageId` is generated (UUID4) when absent, as Segment's libraries and API do;
* `timestamp`, `sentAt`, `receivedAt`, `originalTimestamp` stay strings but must read as ISO-8601;
* `properties`, `traits`, `context`, `integrations` must be objects when present (null counts as
  absent); every other field is kept as it came;
* an event nests at most `MAX_DEPTH` (64) levels of objects and arrays, itself included. The JSON parser takes
  1,024 and the store's encoder 254, so a deeper event would fail its whole batch at the store; real SDK events
  nest fewer than ten levels. The limit is checked here, once, for every input (API, webhook, files, replay).

Checks are hand-written over the dict because pydantic validation costs about 10 us per event and
this runs once per ingested event (about 1 us here). The pydantic models below describe the same
shape for typing, documentation and the ingest API's OpenAPI schema; `Event.to_model()` builds one.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from sfmc_actions.errors import InvalidEventError

EventType = Literal["identify", "track", "page", "screen", "group", "alias"]
EVENT_TYPES: Final = ("identify", "track", "page", "screen", "group", "alias")
TIMESTAMP_FIELDS: Final = ("timestamp", "sentAt", "receivedAt", "originalTimestamp")
OBJECT_FIELDS: Final = ("properties", "traits", "context", "integrations")
_TYPE_LIST: Final = ", ".join(f'"{name}"' for name in EVENT_TYPES)
_ISO_EXAMPLE: Final = '"2024-05-01T12:00:00.000Z"'
MAX_DEPTH: Final = 64

IsoTimestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
JsonObject = dict[str, Any]


class _Common(BaseModel):
    """Fields every Segment call shares (Spec: Common Fields). Unknown fields are kept."""

    model_config = ConfigDict(extra="allow")

    userId: str | None = Field(default=None, description="Your id for the user; this or anonymousId is required")
    anonymousId: str | None = Field(default=None, description="A pseudo-unique id when the user is not known")
    messageId: str = Field(min_length=1, description="Unique id of the message; generated when absent")
    timestamp: IsoTimestamp | None = Field(default=None, description="When the event happened (ISO-8601)")
    sentAt: IsoTimestamp | None = None
    receivedAt: IsoTimestamp | None = None
    originalTimestamp: IsoTimestamp | None = None
    context: JsonObject | None = None
    integrations: JsonObject | None = None


class IdentifyEvent(_Common):
    type: Literal["identify"]
    traits: JsonObject | None = None


class TrackEvent(_Common):
    type: Literal["track"]
    event: str = Field(min_length=1, description="The name of the action the user performed")
    properties: JsonObject | None = None


class PageEvent(_Common):
    type: Literal["page"]
    name: str | None = None
    properties: JsonObject | None = None


class ScreenEvent(_Common):
    type: Literal["screen"]
    name: str | None = None
    properties: JsonObject | None = None


class GroupEvent(_Common):
    type: Literal["group"]
    groupId: str = Field(min_length=1, description="The group (account, company) the user belongs to")
    traits: JsonObject | None = None


class AliasEvent(_Common):
    type: Literal["alias"]
    userId: str = Field(min_length=1, description="The user's new id")
    previousId: str = Field(min_length=1, description="The id the user had before")


SegmentEvent = Annotated[
    IdentifyEvent | TrackEvent | PageEvent | ScreenEvent | GroupEvent | AliasEvent, Field(discriminator="type")
]
_MODELS: Final[dict[str, type[_Common]]] = {
    "identify": IdentifyEvent,
    "track": TrackEvent,
    "page": PageEvent,
    "screen": ScreenEvent,
    "group": GroupEvent,
    "alias": AliasEvent,
}


class Event:
    """A checked Segment event: the normalised raw dict, with its common fields at hand."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data  # use parse_event(): this does not check anything

    @property
    def type(self) -> EventType:
        return self._data["type"]

    @property
    def message_id(self) -> str:
        return self._data["messageId"]

    @property
    def user_id(self) -> str | None:
        return self._data.get("userId")

    @property
    def anonymous_id(self) -> str | None:
        return self._data.get("anonymousId")

    def to_dict(self) -> dict[str, Any]:
        """The normalised event as a plain dict (the object itself: copy it before changing it)."""
        return self._data

    def to_model(self) -> _Common:
        """The typed pydantic model of this event (validates again: for tools, not the hot path)."""
        return _MODELS[self.type].model_validate(self._data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event) and other._data == self._data

    def __hash__(self) -> int:
        return hash(self.message_id)

    def __repr__(self) -> str:  # ids and properties can be personal data: only type and messageId
        return f"Event(type={self.type!r}, messageId={self.message_id!r})"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if value == "" else "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _id_text(value: object) -> str | None:
    """An id as Segment stores it: a non-empty string, or a number's text; None if it is neither."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _required_id(data: dict[str, Any], field: str, purpose: str) -> None:
    value = data.get(field)
    text = _id_text(value)
    if text is None:
        got = "it is missing" if value is None else f"got {_kind(value)}"
        raise InvalidEventError(field, f"{purpose} (a non-empty string or a number); {got}")
    data[field] = text


def _optional_id(data: dict[str, Any], field: str) -> bool:
    """Stringify a numeric id; True when the event carries a usable id in `field`."""
    value = data.get(field)
    if value is None or value == "":
        return False
    text = _id_text(value)
    if text is None:
        raise InvalidEventError(field, f"must be a string or a number (a user id), got {_kind(value)}")
    data[field] = text
    return True


def _is_iso8601(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        try:  # RFC 3339 allows a lower-case "t" and "z"; Python's parser does not
            datetime.fromisoformat(text.upper())
        except ValueError:
            return False
    return True


def _within_depth(value: Any, levels: int) -> bool:
    """Whether `value` nests at most `levels` levels of objects and arrays (itself counted as one)."""
    if levels <= 0:
        return False
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if (kind is dict or kind is list) and not _within_depth(item, levels - 1):
            return False
    return True


def _check_depth(data: dict[str, Any]) -> None:
    for name, value in data.items():
        if isinstance(value, dict | list) and not _within_depth(value, MAX_DEPTH - 1):
            raise InvalidEventError(
                str(name)[:80],
                f"nests objects and arrays deeper than {MAX_DEPTH} levels, the limit per event (the event itself "
                "is the first level): flatten it, or send the deep part as a JSON string",
            )


def parse_event(raw: dict[str, Any]) -> Event:
    """Check and normalise one raw Segment event. Raises InvalidEventError naming the bad field."""
    if not isinstance(raw, dict):
        raise InvalidEventError("", f'an event must be a JSON object with a "type", got {_kind(raw)}')
    _check_depth(raw)
    data = dict(raw)  # normalising never changes the caller's dict
    kind = data.get("type")
    if kind not in EVENT_TYPES:
        got = (
            "it is missing" if kind is None else f"got {kind!r}"[:60] if isinstance(kind, str) else f"got {_kind(kind)}"
        )
        raise InvalidEventError("type", f"every event needs a type, one of {_TYPE_LIST}; {got}")
    if kind == "track":
        name = data.get("event")
        if not isinstance(name, str) or not name:
            got = "it is missing" if name is None else f"got {_kind(name)}"
            raise InvalidEventError(
                "event",
                f'track events need "event", the name of the action the user performed (a non-empty string); {got}',
            )
    elif kind == "group":
        _required_id(data, "groupId", 'group events need "groupId", the id of the account or company')
    elif kind == "alias":
        _required_id(data, "previousId", 'alias events need "previousId", the id the user had before')
        _required_id(data, "userId", 'alias events need "userId", the new id of the user')
    has_user = _optional_id(data, "userId")
    if not _optional_id(data, "anonymousId") and not has_user:
        raise InvalidEventError(
            "userId", 'every event needs "userId" or "anonymousId" (a non-empty string or a number); both are missing'
        )
    message_id = data.get("messageId")
    if message_id is None or message_id == "":
        data["messageId"] = str(uuid.uuid4())
    elif not isinstance(message_id, str):
        text = _id_text(message_id)
        if text is None:
            raise InvalidEventError(
                "messageId", f"must be a non-empty string (or left out to have one generated), got {_kind(message_id)}"
            )
        data["messageId"] = text
    for field in TIMESTAMP_FIELDS:
        value = data.get(field)
        if value is not None and not (isinstance(value, str) and _is_iso8601(value)):
            got = f"got {value!r}"[:80] if isinstance(value, str) else f"got {_kind(value)}"
            raise InvalidEventError(field, f"must be an ISO-8601 date and time string such as {_ISO_EXAMPLE}; {got}")
    for field in OBJECT_FIELDS:
        value = data.get(field)
        if value is not None and not isinstance(value, dict):
            raise InvalidEventError(field, f"must be a JSON object (or be left out), got {_kind(value)}")
    return Event(data)
