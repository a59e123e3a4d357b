"""Ingest: parse -> route -> one enqueue per batch; Spec failures kept as rejected with index and reason."""

from __future__ import annotations

from typing import Any

import orjson

from sfmc_actions.ingest.service import Ingest
from tests.unit.ingest.fakes import FakeRouter, FakeStore


def identify(user: str = "u1", **extra: Any) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "messageId": f"m-{user}", **extra}


async def test_good_bad_and_unmatched_events_in_one_transaction() -> None:
    store = FakeStore()
    ingest = Ingest(FakeRouter(), store)
    items: list[object] = [identify("a"), {"type": "track", "userId": "b"}, 7, {"type": "page", "userId": "c"}]
    result = await ingest.submit(items, "test")
    assert len(store.calls) == 1  # one enqueue, one transaction
    assert (result.events, result.accepted, result.rejected, result.jobs, result.unmatched) == (4, 2, 2, 1, 1)
    assert [(p.index, p.field) for p in result.problems] == [(1, "event"), (2, "")]
    bad_track, number = store.rejected
    assert bad_track.reason.startswith('event: track events need "event"')
    assert orjson.loads(bad_track.raw_body) == {"type": "track", "userId": "b"}
    assert bad_track.event == {"type": "track", "userId": "b"}
    assert number.raw_body == "7" and number.event is None and "got a number" in number.reason


async def test_indexes_start_where_told() -> None:
    result = await Ingest(FakeRouter(), FakeStore()).submit([identify(), {}], "test", first_index=10)
    assert [p.index for p in result.problems] == [11]


async def test_the_write_key_is_stripped_from_stored_events_but_nothing_else_changes() -> None:
    store, router = FakeStore(), FakeRouter()
    event = identify("a", writeKey="secret-key", context={"library": {"name": "analytics.js"}}, custom=1)
    await Ingest(router, store).submit([event, {"type": "track", "writeKey": "secret-key"}], "test")
    assert router.seen == [{k: v for k, v in event.items() if k != "writeKey"}]
    assert "writeKey" in event  # the caller's dict is left alone
    assert "secret-key" not in store.rejected[0].raw_body and "secret-key" not in str(store.jobs[0].event)


async def test_parse_event_normalisation_reaches_the_router() -> None:
    router = FakeRouter()
    await Ingest(router, FakeStore()).submit([{"type": "identify", "userId": 42}], "test")
    assert router.seen[0]["userId"] == "42" and router.seen[0]["messageId"]  # generated


async def test_a_rejected_event_keeps_its_message_id_and_origin() -> None:
    store = FakeStore()
    ingest = Ingest(FakeRouter(), store)
    batch = ingest.prepare([])
    batch.origin = "backfill.ndjson"
    ingest.add(batch, 7, {"type": "alias", "userId": "u", "messageId": "m-7"})
    await ingest.commit(batch, "test")
    (rejected,) = store.rejected
    assert rejected.message_id == "m-7"
    assert rejected.reason.startswith('backfill.ndjson:7: previousId: alias events need "previousId"')


def test_the_api_stamps_received_at_and_a_missing_timestamp_as_segment_does() -> None:
    from datetime import UTC, datetime

    from sfmc_actions.ingest.service import stamp_times

    received = datetime(2026, 11, 28, 12, 0, 0, 500_000, tzinfo=UTC)
    bare: dict[str, object] = {"type": "track", "receivedAt": "2020-01-01T00:00:00Z"}
    stamp_times(bare, received)
    assert bare["receivedAt"] == bare["timestamp"] == "2026-11-28T12:00:00.500Z"  # the server's clock wins
    skewed: dict[str, object] = {"originalTimestamp": "2026-11-28T11:00:00Z", "sentAt": "2026-11-28T11:00:10Z"}
    stamp_times(skewed, received)  # the device clock is an hour late: corrected by receivedAt - (sentAt - original)
    assert skewed["timestamp"] == "2026-11-28T11:59:50.500Z"
    given = {"timestamp": "2026-01-01T00:00:00.000Z"}
    stamp_times(given, received)
    assert given["timestamp"] == "2026-01-01T00:00:00.000Z"  # the caller's own timestamp is kept
