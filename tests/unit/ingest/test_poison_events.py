"""One poison event never fails its batch: timestamps that overflow, nesting past the parser's or the encoder's
depth, JSON orjson refuses, a router bug. The batch is answered 200, the good events accepted, the bad one
rejected alone with its reason (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from sfmc_actions.events import MAX_DEPTH
from sfmc_actions.ingest.http_api import create_ingest_app
from sfmc_actions.ingest.service import stamp_times
from tests.unit.ingest.fakes import AUTH, FakeRouter, FakeStore, Routed, config


def good(n: int) -> list[dict[str, Any]]:
    return [{"type": "identify", "userId": f"u{i}"} for i in range(n)]


def nested(levels: int) -> dict[str, Any]:
    """An identify whose traits nest so that the event has `levels` levels of objects (itself the first)."""
    traits: dict[str, Any] = {}
    inner = traits
    for _ in range(levels - 2):
        inner["a"] = {}
        inner = inner["a"]
    return {"type": "identify", "userId": "deep", "traits": traits}


def nested_text(levels: int) -> bytes:
    """The same as JSON text, for depths that orjson cannot build nor decode."""
    return (
        b'{"type":"identify","userId":"deep","traits":' + b'{"a":' * (levels - 2) + b"{}" + b"}" * (levels - 2) + b"}"
    )


async def post_batch(client: httpx.AsyncClient, body: bytes) -> dict[str, Any]:
    response = await client.post("/v1/batch", content=body, headers=AUTH)
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- timestamps --------------------------------------------------------------------------------------------------
async def test_clock_skew_that_overflows_falls_back_to_received_at(client: httpx.AsyncClient, store: FakeStore) -> None:
    poison = {
        "type": "identify",
        "userId": "p",
        "sentAt": "9999-12-31T23:59:59Z",
        "originalTimestamp": "0001-01-01T00:00:00Z",
    }
    answer = await post_batch(client, orjson.dumps({"batch": [*good(99), poison]}))
    assert (answer["accepted"], answer["rejected"]) == (100, 0)
    stored = store.jobs[-1].event
    assert stored["userId"] == "p" and stored["timestamp"] == stored["receivedAt"]


@pytest.mark.parametrize(
    ("sent", "original"),
    [
        ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"),  # the skew is larger than datetime goes
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        ("0001-01-01T00:00:00+14:00", "2026-01-01T00:00:00Z"),  # UTC of the sentAt is before year 1
        ("2026-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"),  # UTC of the original is after year 9999
    ],
)
def test_stamp_times_never_raises_on_extreme_dates(sent: str, original: str) -> None:
    received = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    event: dict[str, Any] = {"sentAt": sent, "originalTimestamp": original}
    stamp_times(event, received)
    assert event["timestamp"] in (event["receivedAt"], "2026-05-01T12:00:00.000Z") or event["timestamp"].endswith("Z")
    assert event["receivedAt"] == "2026-05-01T12:00:00.000Z"


def test_a_plausible_skew_is_still_corrected() -> None:
    event: dict[str, Any] = {"sentAt": "2026-05-01T11:00:10Z", "originalTimestamp": "2026-05-01T11:00:00Z"}
    stamp_times(event, datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    assert event["timestamp"] == "2026-05-01T11:59:50.000Z"


# -- nesting -----------------------------------------------------------------------------------------------------
async def test_the_nesting_limit_is_exact_and_named(client: httpx.AsyncClient, store: FakeStore) -> None:
    answer = await post_batch(client, orjson.dumps({"batch": [nested(MAX_DEPTH), nested(MAX_DEPTH + 1)]}))
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    (error,) = answer["errors"]
    assert error["index"] == 1 and error["field"] == "traits"
    assert f"deeper than {MAX_DEPTH} levels, the limit per event" in error["message"]


@pytest.mark.parametrize("levels", [255, 300, 1024])
async def test_an_event_deeper_than_the_store_encodes_is_rejected_alone(
    client: httpx.AsyncClient, store: FakeStore, levels: int
) -> None:
    """orjson decodes 1,024 levels but encodes 254: before the limit, such an event failed its batch at the store."""
    body = b'{"batch":[' + b",".join([orjson.dumps(e) for e in good(99)] + [nested_text(levels)]) + b"]}"
    answer = await post_batch(client, body)
    assert (answer["accepted"], answer["rejected"]) == (99, 1)
    assert answer["errors"][0]["index"] == 99
    (rejected,) = store.rejected
    orjson.dumps(rejected.event)  # what the store keeps can be encoded: cut at the limit
    assert "(cut: nested deeper than" in rejected.raw_body and len(rejected.raw_body) < 1000


async def test_an_event_deeper_than_the_parser_goes_is_rejected_alone(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    body = b'{"batch":[' + b",".join([orjson.dumps(e) for e in good(9)] + [nested_text(5000)]) + b"]}"
    answer = await post_batch(client, body)
    assert (answer["accepted"], answer["rejected"]) == (9, 1)
    assert answer["errors"][0]["field"] == "traits" and "64 levels" in answer["errors"][0]["message"]


async def test_a_single_call_too_deep_is_a_rejected_200(client: httpx.AsyncClient, store: FakeStore) -> None:
    response = await client.post("/v1/identify", content=nested_text(2000), headers=AUTH)
    assert response.status_code == 200 and response.json()["rejected"] == 1


# -- JSON orjson refuses -----------------------------------------------------------------------------------------
async def test_a_lone_surrogate_becomes_u_fffd_and_the_batch_is_accepted(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    # JSON.stringify writes half an emoji cut by .slice() as a lone escape; orjson refuses the whole body.
    body = (
        b'{"batch":[{"type":"identify","userId":"s","traits":{"name":"Ada \\ud83d"}},{"type":"identify","userId":"t"}]}'
    )
    answer = await post_batch(client, body)
    assert answer["accepted"] == 2
    assert store.jobs[0].event["traits"]["name"] == "Ada \ufffd"


async def test_numbers_beyond_a_double_are_accepted_as_json_parse_reads_them(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    body = b'{"batch":[{"type":"identify","userId":"n","traits":{"big":1e400,"huge":' + b"9" * 5000 + b"}}]}"
    answer = await post_batch(client, body)
    assert answer["accepted"] == 1
    traits = store.jobs[0].event["traits"]
    assert orjson.dumps(traits) == b'{"big":null,"huge":null}'  # Infinity, which JSON writes as null


async def test_not_json_is_still_a_400_with_the_parser_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/batch", content=b'{"batch": [NaN]}', headers=AUTH)
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


# -- a bug in routing --------------------------------------------------------------------------------------------
class BrokenRouter(FakeRouter):
    def route(self, event: dict[str, Any]) -> Routed:
        if event.get("userId") == "boom":
            raise ZeroDivisionError("a bug")
        return super().route(event)


async def test_a_router_bug_costs_only_its_event(store: FakeStore, caplog: pytest.LogCaptureFixture) -> None:
    app = create_ingest_app(config(), BrokenRouter(), store)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as client:
        body = orjson.dumps({"batch": [*good(3), {"type": "identify", "userId": "boom"}]})
        answer = await post_batch(client, body)
    assert (answer["accepted"], answer["rejected"]) == (3, 1)
    assert "internal error (ZeroDivisionError)" in answer["errors"][0]["message"]
    assert store.rejected[0].event == {"type": "identify", "userId": "boom"}  # kept: replayable once fixed
    assert any("could not route an event" in r.getMessage() for r in caplog.records)
