"""journey_doubt.resolve_in_doubt and journey_status paging, with canned status pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sfmc_actions.sfmc.journey_doubt import Absent, Present, Undecided, resolve_in_doubt
from sfmc_actions.sfmc.journey_status import EntryStatus, entry_statuses
from sfmc_actions.sfmc.outcomes import Dead, Delivered

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class CannedStatus:
    """Answers `journey_entry_status` from a list of items, paged as SFMC pages them."""

    def __init__(self, items: list[dict[str, Any]], page_cap: int = 1000) -> None:
        self.items, self.page_cap = items, page_cap
        self.calls: list[Mapping[str, str | int]] = []

    async def journey_entry_status(self, params: Mapping[str, str | int]) -> dict[str, Any]:
        self.calls.append(params)
        found = [i for i in self.items if i["contactKey"] == params.get("contactKey", i["contactKey"])]
        size = min(int(params["$pageSize"]), self.page_cap)
        page = int(params["$page"])
        return {
            "page": str(page),
            "pageSize": str(size),
            "count": len(found),
            "items": found[(page - 1) * size : page * size],
        }


def item(contact: str, n: int, status: str = "processed", request: str = "r1") -> dict[str, Any]:
    created = (NOW - timedelta(minutes=10) + timedelta(seconds=n)).isoformat()
    return {
        "eventInstanceId": f"e{n}",
        "contactKey": contact,
        "requestId": request,
        "status": status,
        "createdDate": created,
    }


async def resolve(fake: CannedStatus, contacts: list[str], **kwargs: Any) -> list[Any]:
    start = NOW - timedelta(minutes=11)
    return await resolve_in_doubt(fake, "K", contacts, start, start + timedelta(seconds=30), now=NOW, **kwargs)  # type: ignore[arg-type]


async def test_members_take_the_entries_of_their_contact_in_order() -> None:
    fake = CannedStatus([item("a", 2), item("a", 1, status="errored"), item("b", 3)])
    first, second, third, absent = await resolve(fake, ["a", "a", "b", "c"])
    assert isinstance(first, Present) and first.entry.event_instance_id == "e1"  # the earliest first
    assert isinstance(first.outcome, Dead) and first.outcome.error.startswith("SFMC could not enter the contact")
    assert isinstance(second, Present) and isinstance(second.outcome, Delivered)
    assert isinstance(second, Present) and second.entry.event_instance_id == "e2"
    assert isinstance(third, Present) and isinstance(absent, Absent)
    assert {c["contactKey"] for c in fake.calls} == {"a", "b", "c"}
    assert all(c["eventDefinitionKey"] == "K" and str(c["startDate"]).endswith("Z") for c in fake.calls)


async def test_more_entries_than_members_count_as_present_never_as_absent() -> None:
    fake = CannedStatus([item("a", 1), item("a", 2), item("a", 3, request="other")])
    assert all(isinstance(r, Present) for r in await resolve(fake, ["a", "a"]))
    assert [type(r) for r in await resolve(fake, ["a", "a"], known_request_ids={"other"})] == [Present, Present]
    (excluded,) = await resolve(CannedStatus([item("a", 1, request="known")]), ["a"], known_request_ids={"known"})
    assert isinstance(excluded, Absent)
    listed = CannedStatus([item("a", 1, request="r"), item("a", 2, request="r")])
    (mine,) = await resolve(listed, ["a"], known_instance_ids={"e1"})  # e1 is another job's answer: e2 is this one
    assert isinstance(mine, Present) and mine.entry.event_instance_id == "e2"


async def test_an_incomplete_listing_decides_nothing() -> None:
    fake = CannedStatus([item("a", n) for n in range(12)], page_cap=5)
    listed = await entry_statuses(fake, contact_key="a", max_pages=2)  # type: ignore[arg-type]
    assert not listed.complete and len(listed.items) == 10
    full = await entry_statuses(fake, contact_key="a")  # type: ignore[arg-type]
    assert full.complete and [e.event_instance_id for e in full.items] == [f"e{n}" for n in range(12)]


async def test_settle_and_the_thirty_days() -> None:
    fake = CannedStatus([])
    start = NOW - timedelta(seconds=20)
    (early,) = await resolve_in_doubt(fake, "K", ["a"], start, start, now=NOW, settle=60)  # type: ignore[arg-type]
    assert isinstance(early, Undecided) and "ask again after 60 s" in early.reason
    old = NOW - timedelta(days=30)
    (late,) = await resolve_in_doubt(fake, "K", ["a"], old, old, now=NOW, settle=0)  # type: ignore[arg-type]
    assert isinstance(late, Undecided) and "30 days" in late.reason
    assert fake.calls == []


def test_items_are_read_leniently() -> None:
    entry = EntryStatus.from_api(
        {"eventInstanceId": "e", "contactKey": "c", "type": "Errored", "message": "Inactive", "errorcode": 30000}
    )
    assert (entry.status, entry.error, entry.created) == ("errored", "Inactive (errorCode 30000)", None)
