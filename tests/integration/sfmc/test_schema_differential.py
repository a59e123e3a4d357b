"""Differential test of the run-time schema check: for every rule and field type, the emulator (SFMC's documented
behaviour) refuses exactly the rows the check refuses.

Cases come from each rule: values the check refuses, and values SFMC documents as fine. Each row is sent on its
own with the check off, so the emulator judges every one. A third group, values whose fate SFMC does not
document, must never be refused by the check (never stricter than SFMC), whatever the emulator guesses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from sfmc_actions.errors import DeliveryError
from sfmc_actions.sfmc.classify import row_errors
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.data_extension_spec import DataExtensionSpec
from sfmc_actions.sfmc.data_extensions import create_data_extension
from sfmc_actions.sfmc.schema import DataExtensionSchema, check_flat_item, check_keyed_row
from tests.integration.sfmc.conftest import Emulator, Settings

COLUMNS = [
    {"name": "Id", "type": "Text", "length": 36, "primary_key": True},
    {"name": "Txt", "type": "Text", "length": 10},
    {"name": "Mail", "type": "EmailAddress", "length": 254},
    {"name": "Num", "type": "Number"},
    {"name": "Dec", "type": "Decimal", "length": 6, "scale": 2},
    {"name": "When", "type": "Date"},
    {"name": "Flag", "type": "Boolean"},
    {"name": "Req", "type": "Text", "length": 10, "nullable": False},
]
# (column, value): refused by SFMC's documented rules, or documented to be fine. The check must agree on both.
DECIDED: dict[str, list[Any]] = {
    "Txt": ["", "x" * 10, "é" * 10, "x" * 11, "y" * 400],
    "Mail": [
        "a@b.co",
        "first.last+tag@example.co.uk",
        "not-an-email",
        "@example.com",
        "someone@",
        12345,
        "a" * 250 + "@b.co",
    ],
    "Num": [0, -5, 2147483647, "42", " 42 ", "twelve", "12abc", "4 2x", ""],
    "Dec": [1234.56, "1234.5", -9999.99, 0.5, "1e3", 12345.5, "-12345", "n/a", "1.2.x"],
    "When": ["2024-05-12T16:00:00Z", "2024-05-12", "5/12/2024 4:00 PM", "yesterday", "2024-02-30", "2023-02-29", True],
    "Flag": [True, False, "true", "False", "1", "0", "maybe", "nope", "yes!"],
    "Req": ["r", None],
}
# Rows whose keys / values shape decides (primary keys, unknown columns, nulls).
ROW_CASES: list[dict[str, Any]] = [
    {"keys": {}, "values": {"Req": "r", "Txt": "a"}},
    {"keys": {"Id": None}, "values": {"Req": "r"}},
    {"keys": {"Nope": "x"}, "values": {"Req": "r"}},
    {"keys": {"Id": "dup", "Txt": "x"}, "values": {"Req": "r"}},
    {"keys": {"id": "lower-case-name"}, "values": {"req": "r", "FLAG": True}},
    {"keys": {"Id": "unknown-only"}, "values": {"Unknown": 1}},
    {"keys": {"Id": "unknown-ignored"}, "values": {"Unknown": 1, "Req": "r"}},
    {"keys": {"Id": "nullable-null"}, "values": {"Req": "r", "Flag": None, "Txt": None}},
]
# Not documented: the check leaves these to SFMC (the emulator may refuse some on its own guesses).
UNDECIDED: dict[str, list[Any]] = {
    "Mail": ["user@localhost", "a@b@c.d", ""],
    "Num": [1.5, "1,000", 2**40, True],
    "Dec": ["1,234,567.5", 9999.999],
    "When": ["May 5 2024", "2024-13-01", 20240512, ""],
    "Flag": ["Y", "off", "t", 2],
    "Txt": [12345678901],
}


@pytest.fixture
async def checked(emulator: Emulator) -> AsyncIterator[tuple[SfmcClient, DataExtensionSchema]]:
    async with SfmcClient(Settings(emulator.base_url), timeout=5.0) as client:
        spec = DataExtensionSpec.parse({"name": "Types", "key": "Types", "folder_id": 2002, "columns": COLUMNS})
        await create_data_extension(client, spec)
        assert client.schemas is not None
        schema = await client.schemas.schema(client, "key:Types")
        assert schema is not None and [c.name for c in schema.columns] == [c["name"] for c in COLUMNS]
        yield client, schema


async def sfmc_refuses(client: SfmcClient, row: dict[str, Any]) -> bool:
    try:
        await client.upsert_rowset("key:Types", [row])
    except DeliveryError as error:
        assert row_errors(error), f"not a row refusal: {error}"
        return True
    return False


def value_rows() -> list[dict[str, Any]]:
    return [
        {"keys": {"Id": f"{column}-{i}"}, "values": {"Req": "r", column: value}}
        for column, values in DECIDED.items()
        for i, value in enumerate(values)
    ]


async def test_the_emulator_refuses_exactly_the_rows_the_check_refuses(
    emulator: Emulator, checked: tuple[SfmcClient, DataExtensionSchema]
) -> None:
    _, schema = checked
    rows = value_rows() + ROW_CASES
    async with SfmcClient(Settings(emulator.base_url), timeout=5.0, check_schema=False) as unchecked:
        verdicts = [(row, bool(check_keyed_row(schema, row)), await sfmc_refuses(unchecked, row)) for row in rows]
    disagreements = [(row, ours, theirs) for row, ours, theirs in verdicts if ours != theirs]
    assert disagreements == []
    refused = sum(ours for _, ours, _ in verdicts)
    assert 25 <= refused <= len(rows) - 25  # both sides of every rule are exercised


async def test_the_async_check_agrees_with_the_async_results(
    emulator: Emulator, checked: tuple[SfmcClient, DataExtensionSchema]
) -> None:
    client, schema = checked
    items = [{**row["keys"], **row["values"]} for row in value_rows()]
    items += [
        {"Req": "r", "Txt": "no key"},
        {"Id": None, "Req": "r"},
        {"Id": "n", "Req": None},
        {"Id": "m", "Txt": [1]},
    ]
    items = [
        {**item, "Id": f"async-{i}"} if item.get("Id") not in (None, "n", "m") else item for i, item in enumerate(items)
    ]
    ours = [bool(check_flat_item(schema, item)) for item in items]
    de_id = schema.id
    request_id = await client.put_async_rows(f"id:{de_id}", items[:-1])  # a nested value fails the whole request
    for _ in range(200):
        status = (await client.async_status(request_id)).get("status")
        if isinstance(status, dict) and status.get("requestStatus") == "Complete":
            break
        emulator.http.post("/clock", json={"advance": 0.2})
    results = (await client.async_results(request_id))["items"]
    theirs = [item["status"] != "OK" for item in results]
    assert list(zip(items[:-1], ours[:-1], strict=True)) == list(zip(items[:-1], theirs, strict=True))
    assert ours[-1]  # the nested value is refused before sending; the emulator fails the whole request on it
    with pytest.raises(DeliveryError):
        await client.put_async_rows(f"id:{de_id}", items[-1:])


def test_what_sfmc_does_not_document_is_never_refused(checked: tuple[SfmcClient, DataExtensionSchema]) -> None:
    _, schema = checked
    refused = [
        (column, value)
        for column, values in UNDECIDED.items()
        for value in values
        if check_keyed_row(schema, {"keys": {"Id": "u"}, "values": {"Req": "r", column: value}})
    ]
    assert refused == []
