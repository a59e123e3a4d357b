"""The live-events ring buffer, what ingest records in it, and the error hints."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sfmc_actions.console.hints import hint_for
from sfmc_actions.ingest.service import Ingest
from sfmc_actions.observe.live import LiveEvents
from tests.unit.ingest.fakes import FakeRouter, FakeStore, Routed


def test_the_buffer_keeps_the_last_events_newest_first() -> None:
    live = LiveEvents(size=3)
    for n in range(5):
        live.add("web", {"type": "track", "event": f"e{n}"}, ("orders",) if n % 2 else ())
    shown = [e.to_dict() for e in live.newest_first()]
    assert [e["event"] for e in shown] == ["e4", "e3", "e2"]
    assert [e["outcome"] for e in shown] == ["unmatched", "matched", "unmatched"]
    assert [e.seq for e in live.newest_first(after=4)] == [5]
    assert live.find(3) is not None and live.find(1) is None


async def test_ingest_records_what_routing_did_once_committed() -> None:
    live = LiveEvents()
    store = FakeStore()
    ingest = Ingest(FakeRouter(), store, live=live)  # type: ignore[arg-type]  # fakes
    batch = ingest.prepare([{"type": "identify", "userId": "u1"}, {"type": "page", "userId": "u2"}, {"type": "x"}])
    assert live.newest_first() == []  # nothing before the commit
    await ingest.commit(batch, "website")
    rows = [e.to_dict() for e in live.newest_first()]
    assert [(r["type"], r["outcome"], r["source"]) for r in rows] == [
        ("x", "rejected", "website"),
        ("page", "unmatched", "website"),
        ("identify", "matched", "website"),
    ]
    assert rows[2]["matched"] == ["contacts"] and rows[0]["rejected"]


class TwoDestinations(FakeRouter):
    """identify -> a job for `default`'s contacts and one for emea's."""

    def route(self, event: dict[str, Any]) -> Routed:
        routed = super().route(event)
        return Routed([*routed.jobs, *(dataclasses.replace(j, destination="emea") for j in routed.jobs)], False)


async def test_live_events_name_another_destinations_subscription_with_it() -> None:
    live = LiveEvents()
    ingest = Ingest(TwoDestinations(), FakeStore(), live=live)  # type: ignore[arg-type]  # fakes
    await ingest.commit(ingest.prepare([{"type": "identify", "userId": "u1"}]), "website")
    [row] = [e.to_dict() for e in live.newest_first()]
    assert row["matched"] == ["contacts", "emea/contacts"]


async def test_a_failed_commit_records_nothing() -> None:
    live = LiveEvents()
    ingest = Ingest(FakeRouter(), FakeStore(fail=True), live=live)  # type: ignore[arg-type]  # fakes
    with pytest.raises(OSError):
        await ingest.commit(ingest.prepare([{"type": "identify", "userId": "u1"}]), "website")
    assert live.newest_first() == []


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("The value for column [Email] is not a valid email address", "email address"),
        ("Primary key column [Order_ID] is missing", "primary key"),
        ("Value for [Name] is too long: 300 > 100", "longer than"),
        ("HTTP 429 Too Many Requests", "throttled"),
        ("HTTP 401: invalid_client", "credentials"),
        ("Event definition APIEvent-x was not found", "event definition"),
    ],
)
def test_hints_for_known_errors(reason: str, words: str) -> None:
    hint = hint_for(reason)
    assert hint is not None and words in hint.meaning.lower()


def test_no_hint_for_an_unknown_error() -> None:
    assert hint_for("something nobody has seen before") is None
