"""Rows checked against the data extension's real fields before sending, against the emulator over HTTP."""

from __future__ import annotations

from typing import Any

from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.data_extensions import Column
from sfmc_actions.sfmc.field_cache import FieldCache, _Entry
from sfmc_actions.sfmc.outcomes import Dead, Delivered
from sfmc_actions.sfmc.schema import DataExtensionSchema
from tests.integration.sfmc.conftest import CONTACTS_ID, EVENTS_ID, ORDERS_ID, Emulator

DE = ACTIONS["dataExtension"]
V2 = {"onMappingSave": {"outputs": {"id": CONTACTS_ID}}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def order(i: int, **values: Any) -> dict[str, Any]:
    return {"key": "Orders", "keys": {"Order_ID": f"O-{i}"}, "values": {"Email": f"u{i}@example.com", **values}}


def metadata_calls(emulator: Emulator) -> list[str]:
    return [f"{c['path']}?{c['query']}" for c in emulator.api_calls("customobjects")]


async def test_bad_rows_are_dead_before_sending_and_the_rest_go_in_one_request(
    client: SfmcClient, emulator: Emulator
) -> None:
    payloads = [order(i) for i in range(10)]
    payloads[3] = order(3, Email="not-an-email")
    payloads[8] = order(8, Note="x" * 21)
    outcomes = await DE.send(client, payloads)
    assert [i for i, o in enumerate(outcomes) if isinstance(o, Dead)] == [3, 8]
    bad_email, too_long = outcomes[3], outcomes[8]
    assert isinstance(bad_email, Dead) and bad_email.caught_before_sending
    assert bad_email.error.startswith(
        "Email: The value for column [Email] is not a valid email address. Parse error [InvalidEmailAddress] (caught"
    )
    assert bad_email.sent == {"keys": payloads[3]["keys"], "values": payloads[3]["values"]}
    assert isinstance(too_long, Dead) and "[Note] is too long" in too_long.error
    assert all(isinstance(o, Delivered) for i, o in enumerate(outcomes) if i not in (3, 8))
    assert len(emulator.api_calls("rowset")) == 1
    assert metadata_calls(emulator) == [
        "/data/v1/customobjects?%24search=Orders",
        f"/data/v1/customobjects/{ORDERS_ID}/fields?",
    ]
    assert set(emulator.rows("Orders")) == {f"O-{i}" for i in range(10) if i not in (3, 8)}


async def test_fields_are_cached_for_ten_minutes(client: SfmcClient, emulator: Emulator) -> None:
    clock = FakeClock()
    client.schemas = FieldCache(clock=clock)
    for i in range(3):
        await DE.send(client, [order(i)])
        clock.now += 200
    assert len(metadata_calls(emulator)) == 2  # one lookup for three sends within 10 minutes
    clock.now += 300  # 900 s after the lookup
    await DE.send(client, [order(9)])
    assert len(metadata_calls(emulator)) == 4
    (v2,) = await ACTIONS["contactDataExtensionV2"].send(client, [{"keys": {"contactKey": "k"}, "values": {}}], V2)
    assert isinstance(v2, Dead) and v2.caught_before_sending  # values name no column of Contacts
    assert metadata_calls(emulator)[4:] == [f"/data/v1/customobjects/{CONTACTS_ID}/fields?"]  # an id: one call


async def test_without_fields_rows_are_sent_unchecked(client: SfmcClient, emulator: Emulator) -> None:
    emulator.faults({"fault": "server_error", "route": "customobjects"})
    outcomes = await DE.send(client, [order(1), order(2, Email="not-an-email"), order(3)])
    assert [type(o) for o in outcomes] == [Delivered, Dead, Delivered]
    assert isinstance(outcomes[1], Dead) and not outcomes[1].caught_before_sending
    assert "Unable to save rows" in outcomes[1].error  # SFMC's own answer, as before
    await DE.send(client, [order(4)])
    assert len(metadata_calls(emulator)) == 1  # the failure is remembered for a minute: no lookup per send


async def test_sfmc_saying_a_column_does_not_exist_drops_the_cached_fields(
    client: SfmcClient, emulator: Emulator
) -> None:
    cache = client.schemas
    assert cache is not None
    columns = [Column("Nope", "Text", True, False, 50), Column("Note", "Text", False, True, 20)]
    wrong = DataExtensionSchema(ORDERS_ID, columns, key="Orders", name="Orders")  # out of date: Nope was removed
    cache._entries["key:Orders"] = _Entry(wrong, cache._clock())
    (refused,) = await DE.send(client, [{"key": "Orders", "keys": {"Nope": "1"}, "values": {"Note": "x"}}])
    assert isinstance(refused, Dead) and not refused.caught_before_sending
    assert "Primary key 'nope' does not exist." in refused.error
    assert cache.age("key:Orders") is None  # read again on the next send
    (checked,) = await DE.send(client, [{"key": "Orders", "keys": {"Nope": "1"}, "values": {"Note": "x"}}])
    assert isinstance(checked, Dead) and checked.caught_before_sending


async def test_fields_older_than_a_minute_are_read_again_before_refusing_an_unknown_column(
    client: SfmcClient, emulator: Emulator
) -> None:
    clock = FakeClock()
    client.schemas = FieldCache(clock=clock)
    old = DataExtensionSchema(ORDERS_ID, [Column("Order_ID", "Text", True, False, 50)], key="Orders", name="Orders")
    client.schemas._entries["key:Orders"] = _Entry(old, clock.now)
    clock.now += 120  # the Note column may have been added since
    (outcome,) = await DE.send(client, [{"key": "Orders", "keys": {"Order_ID": "n"}, "values": {"Note": "x"}}])
    assert isinstance(outcome, Delivered)
    assert len(metadata_calls(emulator)) == 2


async def test_async_items_are_checked_too(
    client: SfmcClient, emulator: Emulator, async_action: AsyncRowsAction
) -> None:
    hooks = {"onMappingSave": {"outputs": {"id": EVENTS_ID}}}
    payloads = [
        {"keys": {"Message_ID": "m-1"}, "values": {"Event": "E", "Amount": 1}},
        {"keys": {}, "values": {"Event": "E"}},
        {"keys": {"Message_ID": "m-3"}, "values": {"Event": None}},
    ]
    outcomes = await async_action.send(client, payloads, hooks)
    assert isinstance(outcomes[0], Delivered)
    assert isinstance(outcomes[1], Dead) and outcomes[1].caught_before_sending
    assert outcomes[1].error.startswith("Cannot locate the existing record. Required keys are missing.")
    assert isinstance(outcomes[2], Dead) and "Column [Event] does not allow null value." in outcomes[2].error
    (put,) = emulator.api_calls("async_rows")
    assert [item["Message_ID"] for item in put["body"]["items"]] == ["m-1"]
