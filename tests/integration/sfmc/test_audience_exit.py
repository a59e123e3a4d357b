"""`on_audience_exit: delete`: an Engage audience exit deletes the row by primary key (SOAP Delete), against the
emulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.actions.audience_exit import (
    WAITING,
    audience_membership,
    exits_for,
    row_order_key,
    send_with_exits,
)
from sfmc_actions.sfmc.actions.row_delete import ALREADY_GONE
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Retry
from tests.integration.sfmc.conftest import CONTACTS_ID, EVENTS_ID, Emulator

CONTACT_DE = ACTIONS["contactDataExtension"]
PERSONAS = {"personas": {"computation_class": "audience", "computation_key": "vip"}}


def identify(user: str, member: bool | None) -> dict[str, Any]:
    traits: dict[str, Any] = {"email": f"{user}@example.com"} | ({} if member is None else {"vip": member})
    return {"type": "identify", "userId": user, "traits": traits, "context": PERSONAS}


def row(user: str, member: bool = True) -> dict[str, Any]:
    return {
        "key": "Contacts",
        "keys": {"contactKey": user},
        "values": {"Email": f"{user}@example.com", "In_Audience": member},
    }


def test_an_exit_is_what_segment_calls_membership_false() -> None:
    track_exit = {"type": "track", "event": "Audience Exited", "properties": {"vip": False}, "context": PERSONAS}
    journey = {
        **identify("j", False),
        "context": {"personas": {**PERSONAS["personas"], "computation_class": "journey_step"}},
    }
    assert [audience_membership(e) for e in (identify("a", True), identify("b", False), track_exit, journey)] == [
        True,
        False,
        False,
        False,
    ]
    not_engage = [
        identify("c", None),  # no membership value
        {**identify("d", False), "context": {"personas": {"computation_class": "trait", "computation_key": "vip"}}},
        {**identify("e", False), "context": {}},
        {"type": "track", "properties": {"vip": "false"}, "context": PERSONAS},  # not a boolean
        {"type": "page", "properties": {"vip": False}, "context": PERSONAS},
    ]
    assert [audience_membership(e) for e in not_engage] == [None] * 5
    assert exits_for([identify("a", False), identify("b", True)], "delete") == [True, False]
    assert exits_for([identify("a", False)], "update") == [False]  # Segment's behaviour: only the column flips


async def test_exits_delete_rows_in_one_soap_call_per_data_extension(client: SfmcClient, emulator: Emulator) -> None:
    await CONTACT_DE.send(client, [row("a"), row("b"), row("c")])
    events = [identify("a", False), identify("d", True), identify("zz", False), identify("c", False)]
    payloads = [row("a", False), row("d"), row("zz", False), row("c", False)]
    outcomes = await send_with_exits(CONTACT_DE, client, payloads, None, exits_for(events, "delete"))
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert outcomes[0].response_body == {"StatusCode": "OK", "StatusMessage": "Deleted DataExtensionObject"}  # type: ignore[union-attr]
    assert outcomes[2].note == ALREADY_GONE and outcomes[0].note is None  # type: ignore[union-attr]
    assert set(emulator.rows("Contacts")) == {"b", "d"}
    (delete_call,) = emulator.api_calls("soap")
    assert delete_call["headers"]["soapaction"] == "Delete" and delete_call["body"].count("<Objects") == 3


async def test_a_partial_failure_is_dead_with_sfmcs_status_message(client: SfmcClient, emulator: Emulator) -> None:
    await CONTACT_DE.send(client, [row("a"), row("b")])
    emulator.faults({"fault": "reject_row", "route": "soap", "rows": [1], "message": "Error: the row is locked"})
    outcomes = await CONTACT_DE.delete(client, [row("a"), row("b")])
    assert isinstance(outcomes[0], Delivered)
    assert isinstance(outcomes[1], Dead) and outcomes[1].error.startswith("Error: the row is locked")
    assert outcomes[1].sent == {"keys": {"contactKey": "b"}}
    key_error = await CONTACT_DE.delete(client, [{"key": "Contacts", "keys": {"Email": "x@example.com"}}])
    assert isinstance(key_error[0], Dead) and "Email:" in key_error[0].error and "contactKey:" in key_error[0].error
    assert set(emulator.rows("Contacts")) == {"b"}


@pytest.mark.parametrize(
    ("kinds", "present", "calls"),
    [
        ("+-+", True, ["rowset", "soap", "rowset"]),
        ("-+", True, ["soap", "rowset"]),
        ("+-", False, ["rowset", "rowset", "soap"]),  # the unrelated row joins the last phase
        ("+--+-", False, ["rowset", "soap", "rowset", "rowset", "soap"]),
    ],
)
async def test_an_exit_never_overtakes_an_enter_of_the_same_row(
    client: SfmcClient, emulator: Emulator, kinds: str, present: bool, calls: list[str]
) -> None:
    await CONTACT_DE.send(client, [row("x")])
    emulator.http.delete("/journal").raise_for_status()
    payloads = [row("x", kind == "+") for kind in kinds] + [row("other")]
    exits = [kind == "-" for kind in kinds] + [False]
    outcomes = await send_with_exits(CONTACT_DE, client, payloads, None, exits)
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert ("x" in emulator.rows("Contacts")) is present
    assert [c["route"] for c in emulator.api_calls() if c["route"] in ("rowset", "soap")] == calls


async def test_an_enter_that_was_not_done_holds_back_the_later_exit_of_its_row(
    client: SfmcClient, emulator: Emulator
) -> None:
    await CONTACT_DE.send(client, [row("x")])
    emulator.faults({"fault": "unavailable", "route": "rowset", "nth": [1], "retry_after": 1})
    payloads = [row("x"), row("y"), row("x", False), row("y", False)]
    exits = [False, False, True, True]
    enter_x, enter_y, exit_x, exit_y = await send_with_exits(CONTACT_DE, client, payloads, None, exits)
    assert isinstance(enter_x, Retry) and isinstance(enter_y, Retry)  # the rowset got a 503: to be retried
    assert isinstance(exit_x, Retry) and exit_x.error == WAITING and isinstance(exit_y, Retry)
    assert emulator.api_calls("soap") == []  # the exits were not sent: they must not overtake their enters
    assert "x" in emulator.rows("Contacts")


def test_a_rows_order_key_ignores_case_and_the_order_of_its_keys() -> None:
    de = ACTIONS["dataExtension"]
    one = {"key": "Orders", "keys": {"A": "x", "B": "1"}, "values": {}}
    same = {"key": "orders", "keys": {"b": "1", "a": "X"}, "values": {"Other": 2}}
    other = {"key": "Orders", "keys": {"A": "x", "B": "2"}, "values": {}}
    assert row_order_key(de, one, None) == row_order_key(de, same, None) != row_order_key(de, other, None)
    assert row_order_key(de, {"keys": {"A": "x"}}, None) is None  # no data extension: nothing to order


async def test_v2_and_async_actions_delete_by_the_hooks_data_extension(
    client: SfmcClient, emulator: Emulator, async_action: AsyncRowsAction
) -> None:
    v2_hooks = {"onMappingSave": {"outputs": {"id": CONTACTS_ID}}}
    v2 = ACTIONS["contactDataExtensionV2"]
    await v2.send(client, [{"keys": {"contactKey": k}, "values": {"In_Audience": True}} for k in ("p", "q")], v2_hooks)
    for _ in range(2):  # the data extension's external key is looked up once
        (gone,) = await send_with_exits(v2, client, [{"keys": {"contactKey": "p"}, "values": {}}], v2_hooks, [True])
        assert isinstance(gone, Delivered)
    assert set(emulator.rows("Contacts")) == {"q"}
    assert [c["path"] for c in emulator.api_calls("customobjects")].count(f"/data/v1/customobjects/{CONTACTS_ID}") == 1
    async_hooks = {"onMappingSave": {"outputs": {"id": EVENTS_ID}}}
    payloads = [{"keys": {"Message_ID": m}, "values": {"Event": "E"}} for m in ("m1", "m2")]
    assert all(isinstance(o, Delivered) for o in await async_action.send(client, payloads, async_hooks))
    outcomes = await send_with_exits(async_action, client, payloads, async_hooks, [True, False])
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert set(emulator.rows("Events")) == {"m2"}
