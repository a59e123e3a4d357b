"""contact and apiEvent: one request per event, Segment's bodies, one outcome each."""

from __future__ import annotations

import json

import httpx
import pytest

from sfmc_actions.sfmc.actions import ACTIONS, get_action
from sfmc_actions.sfmc.actions.base import PerEventAction
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Retry
from tests.unit.sfmc.fake_sfmc import FakeSfmc, Settings

CONTACT_OK = {"operationStatus": "OK", "rowsAffected": 1, "contactKey": "u1", "hasErrors": False, "resultMessages": []}


async def test_contact_body_and_outcomes(fake: FakeSfmc, client: SfmcClient) -> None:
    def contacts(request: httpx.Request) -> httpx.Response:
        key = json.loads(request.content)["contactKey"]
        if key == "broken":
            return httpx.Response(
                200,
                json={
                    "operationStatus": "Error",
                    "hasErrors": True,
                    "resultMessages": [{"resultClass": "Error", "resultCode": "X", "message": "Invalid key"}],
                },
            )
        return httpx.Response(200, json={**CONTACT_OK, "contactKey": key})

    fake.routes[("POST", "/contacts/v1/contacts")] = contacts
    outcomes = await ACTIONS["contact"].send(client, [{"contactKey": "u1"}, {"contactKey": "broken"}])
    assert outcomes[0] == Delivered({**CONTACT_OK, "contactKey": "u1"})
    assert outcomes[1] == Dead(
        "SFMC refused the contact: Invalid key (X)", {"contactKey": "broken", "attributeSets": []}
    )
    assert [json.loads(r.content) for r in fake.api_requests()] == [
        {"contactKey": "u1", "attributeSets": []},
        {"contactKey": "broken", "attributeSets": []},
    ]
    assert fake.api_requests()[0].url == "https://mc-unit-test.rest.marketingcloudapis.com/contacts/v1/contacts"


async def test_api_event_sends_the_payload_as_is(fake: FakeSfmc, client: SfmcClient) -> None:
    fake.routes[("POST", "/interaction/v1/events")] = lambda r: httpx.Response(201, json={"eventInstanceId": "e-1"})
    payload = {"eventDefinitionKey": "APIEvent-1", "contactKey": "u1", "data": {"Plan": "pro", "Total": 20.0}}
    outcomes = await ACTIONS["apiEvent"].send(client, [payload])
    assert outcomes == [Delivered({"eventInstanceId": "e-1"})]
    assert fake.api_requests()[0].content == (
        b'{"eventDefinitionKey":"APIEvent-1","contactKey":"u1","data":{"Plan":"pro","Total":20}}'
    )
    assert ACTIONS["apiEvent"].target(payload) == "event:APIEvent-1"


async def test_api_event_outcomes_per_event(fake: FakeSfmc, client: SfmcClient) -> None:
    def events(request: httpx.Request) -> httpx.Response:
        key = json.loads(request.content)["contactKey"]
        if key == "busy":
            return httpx.Response(503, headers={"Retry-After": "3"}, json={"message": "Service Unavailable"})
        if key == "unknown":
            return httpx.Response(400, json={"message": "Event definition key not found", "errorcode": 30003})
        return httpx.Response(201, json={"eventInstanceId": key})

    fake.routes[("POST", "/interaction/v1/events")] = events
    keys = ["a", "busy", "unknown", "b"]
    outcomes = await get_action("apiEvent").send(client, [{"eventDefinitionKey": "E", "contactKey": k} for k in keys])
    assert outcomes[0] == Delivered({"eventInstanceId": "a"}) and outcomes[3] == Delivered({"eventInstanceId": "b"})
    assert isinstance(outcomes[1], Retry) and outcomes[1].retry_after == 3.0
    assert isinstance(outcomes[2], Dead) and "Event definition key not found" in outcomes[2].error
    assert outcomes[2].sent == {"eventDefinitionKey": "E", "contactKey": "unknown"}


async def test_auth_failure_is_a_retry_marked_auth_failed(fake: FakeSfmc, client: SfmcClient) -> None:
    fake.token_answer = httpx.Response(401, json={"error": "invalid_client", "error_description": "Invalid client"})
    outcomes = await ACTIONS["contact"].send(client, [{"contactKey": "a"}, {"contactKey": "b"}])
    assert all(isinstance(o, Retry) and o.auth_failed and "Invalid client" in o.error for o in outcomes)


async def test_concurrency_is_bounded(fake: FakeSfmc) -> None:
    import asyncio

    active = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        if request.url.path.endswith("/v2/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1079})
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return httpx.Response(200, json=CONTACT_OK)

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as http:
        client = SfmcClient(Settings(), http=http)
        action = ACTIONS["contact"]
        assert isinstance(action, PerEventAction)
        outcomes = await action.send(client, [{"contactKey": str(i)} for i in range(20)])
    assert len(outcomes) == 20 and all(isinstance(o, Delivered) for o in outcomes)
    assert peak == action.concurrency


def test_registry() -> None:
    assert list(ACTIONS) == [
        "contact",
        "contactDataExtension",
        "dataExtension",
        "apiEvent",
        "contactDataExtensionV2",
        "dataExtensionV2",
        "asyncDataExtension",
    ]
    assert ACTIONS["contact"].default_trigger == 'type = "identify"'
    assert ACTIONS["contactDataExtension"].default_trigger == 'type = "identify"'
    assert ACTIONS["contactDataExtensionV2"].default_trigger == 'type = "identify"'
    assert ACTIONS["dataExtension"].default_trigger is None
    assert ACTIONS["dataExtension"].batch_size == 50 and ACTIONS["asyncDataExtension"].batch_size == 28_000
    with pytest.raises(KeyError, match="use one of contact, contactDataExtension"):
        get_action("createContact")
    with pytest.raises(ValueError, match="at least 1"):
        ACTIONS["dataExtension"].with_batch_size(0)
    assert "dataExtension" in repr(ACTIONS["dataExtension"])


def test_only_journey_entries_must_not_be_sent_twice() -> None:
    assert [key for key, action in ACTIONS.items() if not action.idempotent] == ["apiEvent"]
    assert not ACTIONS["apiEvent"].with_batch_size(5).idempotent  # a subscription's batch size keeps it
    payload = {"eventDefinitionKey": "APIEvent-1", "contactKey": "u1"}
    assert ACTIONS["apiEvent"].describe(payload) == "the journey entry of contact 'u1' (event definition 'APIEvent-1')"


async def test_a_journey_entry_whose_answer_is_lost_is_in_doubt(fake: FakeSfmc, client: SfmcClient) -> None:
    def events(request: httpx.Request) -> httpx.Response:
        key = json.loads(request.content)["contactKey"]
        if key == "lost":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if key == "unreachable":
            raise httpx.ConnectError("Connection refused", request=request)
        return httpx.Response(429, json={"message": "Rate limit exceeded", "errorcode": 50100})

    fake.routes[("POST", "/interaction/v1/events")] = events
    keys = ["lost", "unreachable", "throttled"]
    lost, unreachable, throttled = await ACTIONS["apiEvent"].send(
        client, [{"eventDefinitionKey": "E", "contactKey": k} for k in keys]
    )
    assert isinstance(lost, Retry) and lost.in_doubt and "RemoteProtocolError" in lost.error
    assert isinstance(unreachable, Retry) and not unreachable.in_doubt  # never reached SFMC
    assert isinstance(throttled, Retry) and throttled.status == 429 and not throttled.in_doubt
