"""§6 journey entry events, batched entry and event definitions."""

from __future__ import annotations

import uuid

import httpx
import pytest
from starlette.applications import Starlette

from .conftest import rows_of

URL = "/interaction/v1/events"


@pytest.mark.parametrize(
    "names",
    [
        ("ContactKey", "EventDefinitionKey", "Data"),
        ("contactKey", "eventDefinitionKey", "data"),
        ("CONTACTKEY", "eventdefinitionkey", "DATA"),
    ],
)
async def test_entry_event_binds_names_case_insensitively(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette, names: tuple[str, str, str]
) -> None:
    body = dict(
        zip(
            names,
            ["u-1", "APIEvent-welcome", {"Email": "a@example.com", "Plan": "pro", "eventInstanceId": "ignored"}],
            strict=True,
        )
    )
    response = await client.post(URL, headers=auth, json=body)
    assert response.status_code == 201
    instance = response.json()["eventInstanceId"]
    assert uuid.UUID(instance) and list(response.json()) == ["eventInstanceId"]
    assert rows_of(app, "Welcome_Journey_Entry")[0] == {"Email": "a@example.com", "Plan": "pro", "ContactKey": "u-1"}
    fired = (await client.get("/__emulator/journey-events")).json()
    assert fired[0]["event_instance_id"] == instance and fired[0]["data"] == {"Email": "a@example.com", "Plan": "pro"}


@pytest.mark.parametrize(
    ("body", "errorcode", "text"),
    [
        ({"ContactKey": "u", "EventDefinitionKey": "APIEvent-nope"}, 30000, "APIEvent-nope"),
        ({"EventDefinitionKey": "APIEvent-welcome"}, 10002, "ContactKey"),
        ({"ContactKey": "u"}, 10002, "EventDefinitionKey"),
        ({"ContactKey": "u", "EventDefinitionKey": "APIEvent-welcome", "Data": {"Color": "red"}}, 10000, "Color"),
        ({"ContactKey": "u", "EventDefinitionKey": "APIEvent-welcome", "Data": {"Email": "nope"}}, 10000, "email"),
    ],
)
async def test_entry_event_errors_are_400(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette, body: dict[str, object], errorcode: int, text: str
) -> None:
    response = await client.post(URL, headers=auth, json=body)
    assert response.status_code == 400
    data = response.json()
    assert data["errorcode"] == errorcode and text in data["message"] and "documentation" in data
    assert rows_of(app, "Welcome_Journey_Entry") == []


async def test_batched_entry_reports_each_member(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    members = [
        {"contactKey": "a", "data": {"Plan": "x"}},
        {"data": {"Plan": "y"}},
        {"contactKey": "c", "data": {"Z": 1}},
    ]
    response = await client.post(
        "/interaction/v1/async/events",
        headers=auth,
        json={"eventDefinitionKey": "APIEvent-welcome", "members": members},
    )
    assert response.status_code == 202
    body = response.json()
    assert body["count"] == 3 and body["notQueuedCount"] == 2 and uuid.UUID(body["requestId"])
    first, second, third = body["members"]
    assert first["contactKey"] == "a" and uuid.UUID(first["eventInstanceId"])
    assert second["errorcode"] == "10002" and third["errorcode"] == "10000"
    too_many = await client.post(
        "/interaction/v1/async/events",
        headers=auth,
        json={"eventDefinitionKey": "APIEvent-welcome", "members": [{"contactKey": str(i)} for i in range(101)]},
    )
    assert too_many.status_code == 400 and "Interaction Count Limit Exceeded" in too_many.json()["message"]


async def test_event_definitions_created_through_the_api(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    de_id = next(
        de.id
        for t in app.state.emulator.state.tenants.values()
        for de in t.data_extensions.values()
        if de.key == "Orders"
    )
    body = {"type": "APIEvent", "name": "Orders", "eventDefinitionKey": "APIEvent-orders", "dataExtensionId": de_id}
    created = await client.post("/interaction/v1/eventDefinitions", headers=auth, json=body)
    assert created.status_code == 201
    assert created.json()["eventDefinitionKey"] == "APIEvent-orders" and created.json()["dataExtensionName"] == "Orders"
    duplicate = await client.post("/interaction/v1/eventDefinitions", headers=auth, json=body)
    assert duplicate.status_code == 409 and duplicate.json()["errorcode"] == 30004
    bad_de = await client.post(
        "/interaction/v1/eventDefinitions",
        headers=auth,
        json={**body, "eventDefinitionKey": "x", "dataExtensionId": "nope"},
    )
    assert bad_de.status_code == 400
    fired = await client.post(
        URL,
        headers=auth,
        json={"ContactKey": "u", "EventDefinitionKey": "APIEvent-orders", "Data": {"Order_ID": "o-9", "Revenue": 3}},
    )
    assert fired.status_code == 201 and rows_of(app, "Orders") == [{"Order_ID": "o-9", "Revenue": 3}]
    listed = (await client.get("/interaction/v1/eventDefinitions", headers=auth)).json()
    assert {d["eventDefinitionKey"] for d in listed["items"]} == {"APIEvent-welcome", "APIEvent-orders"}
    one = await client.get("/interaction/v1/eventDefinitions/key:apievent-orders", headers=auth)
    assert one.status_code == 200 and one.json()["dataExtensionId"] == de_id
    assert (await client.get("/interaction/v1/eventDefinitions/key:none", headers=auth)).status_code == 404
