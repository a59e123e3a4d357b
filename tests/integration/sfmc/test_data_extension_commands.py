"""What the data-extensions commands and Segment's V2 hook do, against the emulator: one token per command."""

from __future__ import annotations

import pytest

from sfmc_actions.errors import PermanentError
from sfmc_actions.sfmc.actions import ACTIONS
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.data_extension_spec import DataExtensionSpec
from sfmc_actions.sfmc.data_extensions import (
    create_data_extension,
    data_extension_fields,
    get_data_extension,
    list_data_extensions,
    list_folders,
)
from sfmc_actions.sfmc.outcomes import Delivered
from tests.integration.sfmc.conftest import ORDERS_ID, Emulator


async def test_list_search_get_fields_and_folders(client: SfmcClient, emulator: Emulator) -> None:
    everything = await list_data_extensions(client)
    assert {"Orders", "Contacts", "Events"} <= {de.name for de in everything}
    (orders,) = await list_data_extensions(client, "Orders")
    assert (orders.id, orders.key) == (ORDERS_ID, "Orders")
    assert (await get_data_extension(client, ORDERS_ID)).name == "Orders"
    columns = await data_extension_fields(client, ORDERS_ID)
    assert columns.primary_keys == ["Order_ID"]
    assert columns.values == ["Email", "Revenue", "Note"]
    assert [(c.type, c.length, c.scale) for c in columns.columns[1:3]] == [
        ("EmailAddress", 254, None),
        ("Decimal", 18, 2),
    ]
    folders = await list_folders(client)
    assert {(f.id, f.name) for f in folders} >= {(2001, "Data Extensions"), (2002, "Segment")}
    assert next(f for f in folders if f.id == 2002).parent_id == 2001
    assert emulator.token_requests() == 1  # the whole "command" used one token


async def test_create_then_deliver_through_v2(client: SfmcClient, emulator: Emulator) -> None:
    spec = DataExtensionSpec.parse(
        {
            "name": "Signups",
            "folder_id": 2002,
            "description": "created by the integration test",
            "columns": [
                {"name": "User_ID", "type": "Text", "length": 64, "primary_key": True},
                {"name": "Email", "type": "EmailAddress"},
                {"name": "Score", "type": "Decimal", "length": 9, "scale": 2},
                {"name": "Joined", "type": "Date"},
            ],
        }
    )
    created = await create_data_extension(client, spec)
    assert created.id and created.name == "Signups"
    columns = await data_extension_fields(client, created.id)
    assert columns.primary_keys == ["User_ID"] and columns.values == ["Email", "Score", "Joined"]
    hooks = {"onMappingSave": {"inputs": {"operation": "create"}, "outputs": {"id": created.id, "name": "Signups"}}}
    payloads = [
        {"keys": {"User_ID": f"u{i}"}, "values": {"Email": f"u{i}@example.com", "Score": 1.5}} for i in range(3)
    ]
    outcomes = await ACTIONS["dataExtensionV2"].send(client, payloads, hooks)
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert set(emulator.rows(created.id)) == {"u0", "u1", "u2"}
    with pytest.raises(PermanentError) as duplicate:
        await create_data_extension(client, spec)
    assert "409" in str(duplicate.value)
    assert emulator.token_requests() == 1


async def test_list_follows_every_page(client: SfmcClient, emulator: Emulator) -> None:
    for i in range(120):  # the emulator, like SFMC, answers 50 a page
        column = {"name": "Id", "type": "Text", "primary_key": True}
        spec = DataExtensionSpec.parse({"name": f"Bulk_{i:03d}", "folder_id": 2002, "columns": [column]})
        await create_data_extension(client, spec)
    bulk = [de.name for de in await list_data_extensions(client, "Bulk_")]
    assert sorted(bulk) == [f"Bulk_{i:03d}" for i in range(120)]
