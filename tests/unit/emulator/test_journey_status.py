"""Batched journey entry: per-member answers and journal entries, and `GET /interaction/v1/async/events/status`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from sfmc_actions.emulator import Clock

from .conftest import get_token

BATCH = "/interaction/v1/async/events"
STATUS = "/interaction/v1/async/events/status"
DAY = 24 * 3600


async def batch(client: httpx.AsyncClient, auth: dict[str, str], *members: dict[str, Any]) -> dict[str, Any]:
    body = {"eventDefinitionKey": "APIEvent-welcome", "members": list(members)}
    response = await client.post(BATCH, headers=auth, json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


async def status(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> httpx.Response:
    return await client.get(STATUS, headers=auth, params=params)


async def test_members_answer_in_order_and_each_gets_a_journal_entry(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    answer = await batch(
        client,
        auth,
        {"contactKey": "a", "data": {"Plan": "x"}},
        {"data": {"Plan": "y"}},
        {"contactKey": "a", "data": {"Plan": "z"}},  # the same contact twice: both queued (DOC)
    )
    assert (answer["count"], answer["notQueuedCount"]) == (3, 1)
    first, second, third = answer["members"]
    assert (
        first["contactKey"] == "a"
        and third["contactKey"] == "a"
        and first["eventInstanceId"] != third["eventInstanceId"]
    )
    assert set(second) == {"contactKey", "errorcode", "message"} and second["errorcode"] == "10002"
    journal = (await client.get("/__emulator/journal")).json()
    request = next(e for e in journal if e["route"] == "async_events")
    members = [e for e in journal if e["route"] == "async_events_member"]
    assert [(m["parent"], m["member"], m["status"]) for m in members] == [
        (request["id"], 0, "queued"),
        (request["id"], 1, "notQueued"),
        (request["id"], 2, "queued"),
    ]
    assert members[0]["body"]["eventInstanceId"] == first["eventInstanceId"]
    assert members[1]["body"]["errorcode"] == "10002"


async def test_status_filters_paging_and_shapes(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    one = await batch(client, auth, *({"contactKey": f"c{i}", "data": {"Plan": "p"}} for i in range(5)))
    two = await batch(client, auth, {"contactKey": "c1"}, {"contactKey": "d"})
    by_request = (await status(client, auth, requestId=one["requestId"])).json()
    assert by_request["count"] == 5 and by_request["page"] == "1" and by_request["pageSize"] == "50"
    item = by_request["items"][0]
    assert set(item) >= {"eventInstanceId", "contactKey", "eventDefinitionKey", "requestId", "status", "createdDate"}
    assert item["status"] == "processed" and item["requestId"] == one["requestId"]
    by_contact = (await status(client, auth, contactKey="C1", eventDefinitionKey="apievent-welcome")).json()
    assert by_contact["count"] == 2 and {i["requestId"] for i in by_contact["items"]} == {
        one["requestId"],
        two["requestId"],
    }
    instance = two["members"][1]["eventInstanceId"]
    assert [i["contactKey"] for i in (await status(client, auth, eventInstanceId=instance)).json()["items"]] == ["d"]
    pages = [
        (await status(client, auth, eventDefinitionKey="APIEvent-welcome", **{"$page": p, "$pageSize": 3})).json()
        for p in (1, 2, 3)
    ]
    assert [len(p["items"]) for p in pages] == [3, 3, 1] and {p["count"] for p in pages} == {7}
    assert len({i["eventInstanceId"] for p in pages for i in p["items"]}) == 7
    assert (await status(client, auth, type="processed", requestId=two["requestId"])).json()["count"] == 2
    assert (await status(client, auth, type="errored")).json()["count"] == 0
    desc = await status(client, auth, requestId=one["requestId"], **{"$orderBy": "modifiedDate DESC"})
    assert desc.json()["items"][0]["contactKey"] == "c4"


@pytest.mark.parametrize(
    "params",
    [{}, {"type": "lost"}, {"requestId": "x", "$page": "0"}, {"type": "queued", "$orderBy": "modifiedDate DESC"}],
)
async def test_status_refuses_bad_queries(
    client: httpx.AsyncClient, auth: dict[str, str], params: dict[str, str]
) -> None:
    response = await status(client, auth, **params)
    assert response.status_code == 400 and response.json()["errorcode"] in (10002, 10005)


async def test_members_can_end_errored_after_acceptance(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    await client.patch("/__emulator/options", json={"journey_processing_seconds": 5})
    rule = {"fault": "errored_member", "route": "async_events", "rows": [1], "message": "Contact is not active"}
    await client.post("/__emulator/faults", json=rule)
    answer = await batch(client, auth, {"contactKey": "a"}, {"contactKey": "b"})
    assert answer["notQueuedCount"] == 0 and all("eventInstanceId" in m for m in answer["members"])
    queued = (await status(client, auth, requestId=answer["requestId"])).json()["items"]
    assert [i["status"] for i in queued] == ["queued", "queued"]
    clock.advance(6)
    done = {i["contactKey"]: i for i in (await status(client, auth, requestId=answer["requestId"])).json()["items"]}
    assert done["a"]["status"] == "processed" and "errorMessage" not in done["a"]
    assert done["b"]["status"] == "errored" and done["b"]["errorMessage"] == "Contact is not active"
    errored = (await status(client, auth, type="errored", eventDefinitionKey="APIEvent-welcome")).json()
    assert [i["contactKey"] for i in errored["items"]] == ["b"]
    entered = (await client.get("/__emulator/journey-events", params={"status": "processed"})).json()
    assert [e["contact_key"] for e in entered] == ["a"]


async def test_thirty_day_window_dates_lag_and_single_events(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    old = await batch(client, auth, {"contactKey": "old"})
    clock.advance(31 * DAY)
    auth = {"Authorization": f"Bearer {await get_token(client)}"}  # the first token expired long ago
    new = await batch(client, auth, {"contactKey": "new"})
    listed = (await status(client, auth, eventDefinitionKey="APIEvent-welcome")).json()
    assert [i["contactKey"] for i in listed["items"]] == ["new"]  # the last 30 days by default
    too_old = (await status(client, auth, requestId=old["requestId"], startDate="2000-01-01T00:00:00Z")).json()
    assert too_old["count"] == 0  # older than the 30 days SFMC keeps
    created = datetime.fromisoformat(listed["items"][0]["createdDate"])
    window = {"startDate": created.isoformat(), "endDate": (created + timedelta(seconds=1)).isoformat()}
    assert (await status(client, auth, requestId=new["requestId"], **window)).json()["count"] == 1
    before = {"endDate": "2000-01-01T00:00:00"}
    assert (await status(client, auth, requestId=new["requestId"], **before)).json()["count"] == 0
    assert (await status(client, auth, requestId=new["requestId"], startDate="yesterday")).status_code == 400
    await client.patch("/__emulator/options", json={"journey_status_lag_seconds": 10})
    lagging = await batch(client, auth, {"contactKey": "lag"})
    assert (await status(client, auth, requestId=lagging["requestId"])).json()["count"] == 0
    clock.advance(11)
    assert (await status(client, auth, requestId=lagging["requestId"])).json()["count"] == 1
    single = await client.post(
        "/interaction/v1/events", headers=auth, json={"ContactKey": "solo", "EventDefinitionKey": "APIEvent-welcome"}
    )
    assert single.status_code == 201
    assert (await status(client, auth, contactKey="solo")).json()["count"] == 0  # INF default: batches only
    await client.patch("/__emulator/options", json={"status_lists_single_events": True})
    clock.advance(11)
    solo = (await status(client, auth, contactKey="solo")).json()["items"]
    assert solo[0]["requestId"] is None and uuid.UUID(solo[0]["eventInstanceId"])
