"""Every action against the SFMC emulator over HTTP: single and batch, with the emulator's state as the proof."""

from __future__ import annotations

from typing import Any

from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Retry
from tests.integration.sfmc.conftest import CONTACTS_ID, EVENTS_ID, Emulator

V2_CONTACTS = {"onMappingSave": {"inputs": {"operation": "select"}, "outputs": {"id": CONTACTS_ID, "name": "Contacts"}}}
ASYNC_EVENTS = {"retlOnMappingSave": {"outputs": {"id": EVENTS_ID}}}


def order(i: int, **values: Any) -> dict[str, Any]:
    return {"key": "Orders", "keys": {"Order_ID": f"O-{i}"}, "values": {"Email": f"u{i}@example.com", **values}}


async def test_contact_single_and_batch(client: SfmcClient, emulator: Emulator) -> None:
    (single,) = await ACTIONS["contact"].send(client, [{"contactKey": "c-1"}])
    assert isinstance(single, Delivered) and single.response_body["contactKey"] == "c-1"  # type: ignore[index]
    outcomes = await ACTIONS["contact"].send(client, [{"contactKey": f"c-{i}"} for i in range(2, 6)])
    assert all(isinstance(o, Delivered) and o.response_body["operationStatus"] == "OK" for o in outcomes)  # type: ignore[index]
    assert {c["contact_key"] for c in emulator.get("/contacts")} == {f"c-{i}" for i in range(1, 6)}


async def test_data_extension_single_and_batch(client: SfmcClient, emulator: Emulator) -> None:
    action = ACTIONS["dataExtension"]
    assert isinstance((await action.send(client, [order(1, Revenue=10.5)]))[0], Delivered)
    outcomes = await action.send(client, [order(i, Revenue=i) for i in range(2, 9)])
    assert all(isinstance(o, Delivered) for o in outcomes)
    rows = emulator.rows("Orders")
    assert set(rows) == {f"O-{i}" for i in range(1, 9)}
    assert rows["O-3"]["Email"] == "u3@example.com"
    assert len(emulator.api_calls("rowset")) == 2


async def test_contact_data_extension_by_id_and_v2(client: SfmcClient, emulator: Emulator) -> None:
    row = {"id": CONTACTS_ID, "keys": {"contactKey": "k-1"}, "values": {"Email": "k1@example.com", "In_Audience": True}}
    assert isinstance((await ACTIONS["contactDataExtension"].send(client, [row]))[0], Delivered)
    v2_rows = [{"keys": {"contactKey": f"k-{i}"}, "values": {"In_Audience": i % 2 == 0}} for i in range(2, 5)]
    outcomes = await ACTIONS["contactDataExtensionV2"].send(client, v2_rows, V2_CONTACTS)
    assert all(isinstance(o, Delivered) for o in outcomes)
    unknown_only = {"keys": {"contactKey": "k-9"}, "values": {"Nope": 1}}
    (single,) = await ACTIONS["dataExtensionV2"].send(client, [unknown_only], V2_CONTACTS)
    assert isinstance(single, Dead) and "At least one existing field is required" in single.error
    rows = emulator.rows("Contacts")
    assert set(rows) == {"k-1", "k-2", "k-3", "k-4"}
    assert [str(rows[f"k-{i}"]["In_Audience"]).lower() for i in (2, 3)] == ["true", "false"]


async def test_api_event_single_and_batch(client: SfmcClient, emulator: Emulator) -> None:
    events = [
        {"eventDefinitionKey": "APIEvent-welcome", "contactKey": f"j-{i}", "data": {"Plan": "pro"}} for i in range(3)
    ]
    outcomes = await ACTIONS["apiEvent"].send(client, events[:1]) + await ACTIONS["apiEvent"].send(client, events[1:])
    assert all(isinstance(o, Delivered) and o.response_body["eventInstanceId"] for o in outcomes)  # type: ignore[index]
    unknown = await ACTIONS["apiEvent"].send(client, [{"eventDefinitionKey": "nope", "contactKey": "j"}])
    assert isinstance(unknown[0], Dead) and "400" in unknown[0].error
    fired = emulator.get("/journey-events", eventDefinitionKey="APIEvent-welcome")
    assert len(fired) == 3


async def test_async_rows_single_and_batch(
    client: SfmcClient, emulator: Emulator, async_action: AsyncRowsAction
) -> None:
    first = await async_action.send(
        client, [{"keys": {"Message_ID": "m-0"}, "values": {"Event": "Viewed"}}], ASYNC_EVENTS
    )
    assert isinstance(first[0], Delivered)
    payloads = [{"keys": {"Message_ID": f"m-{i}"}, "values": {"Event": "Bought", "Amount": i}} for i in range(1, 40)]
    outcomes = await async_action.send(client, payloads, ASYNC_EVENTS)
    assert all(isinstance(o, Delivered) for o in outcomes)
    rows = emulator.rows("Events")
    assert len(rows) == 40 and str(rows["m-7"]["Amount"]) == "7"


async def test_async_mixed_row_results(client: SfmcClient, emulator: Emulator, async_action: AsyncRowsAction) -> None:
    emulator.faults({"fault": "deadlock", "route": "async_rows", "rows": [2]})  # the 3rd item sent: payload 3
    payloads = [{"keys": {"Message_ID": f"x-{i}"}, "values": {"Event": "E", "Amount": i}} for i in range(6)]
    payloads[1]["values"]["Amount"] = "not a number"  # caught before sending: the Number column takes no letters
    del payloads[4]["values"]["Event"]  # required column missing on insert: only SFMC knows the row is new
    outcomes = await async_action.send(client, payloads, ASYNC_EVENTS)
    assert [type(o) for o in outcomes] == [Delivered, Dead, Delivered, Retry, Dead, Delivered]
    assert "Rerun the transaction" in outcomes[3].error  # type: ignore[union-attr]
    assert outcomes[1].sent == {"Message_ID": "x-1", "Event": "E", "Amount": "not a number"}  # type: ignore[union-attr]
    assert outcomes[1].caught_before_sending and "[Amount] is not a valid number" in outcomes[1].error  # type: ignore[union-attr]
    assert not outcomes[4].caught_before_sending  # type: ignore[union-attr]
    assert set(emulator.rows("Events")) == {"x-0", "x-2", "x-5"}
    assert len(emulator.api_calls("async_results")) >= 1
