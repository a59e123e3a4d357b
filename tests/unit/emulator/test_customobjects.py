"""§7 data extension metadata (`/data/v1/customobjects`) and read-back (`/data/v1/customobjectdata`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sfmc_actions.emulator import Clock

URL = "/data/v1/customobjects"


def field(name: str, kind: str = "Text", **extra: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "type": kind,
        "isNullable": True,
        "isPrimaryKey": False,
        "length": 50,
        "scale": None,
        "description": "",
        "ordinal": 0,
        "isTemplateField": False,
        "isHidden": False,
        "isReadOnly": False,
        "isInheritable": False,
        "isOverridable": False,
        "mustOverride": False,
    }
    return {**base, **extra}


def definition(name: str = "New_DE", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "made by a test",
        "categoryId": "1001",
        "isSendable": False,
        "fields": [
            field("id", isPrimaryKey=True, isNullable=False),
            field("Email", "EmailAddress", length=254, ordinal=1),
        ],
        **extra,
    }


async def test_create_get_fields_and_search(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await client.post(URL, headers=auth, json=definition(key=""))
    assert created.status_code == 201
    de = created.json()
    assert de["name"] == "New_DE" and len(de["key"]) == 36 and de["id"] == de["id"].lower()
    assert de["partnerApiObjectTypeName"] == "DataExtension" and de["categoryId"] == 1001 and de["fieldCount"] == 2
    got = await client.get(f"{URL}/{de['id']}", headers=auth)
    assert got.status_code == 200 and got.json()["name"] == "New_DE"
    fields = (await client.get(f"{URL}/{de['id']}/fields", headers=auth)).json()
    assert fields["id"] == de["id"] and [f["isPrimaryKey"] for f in fields["fields"]] == [True, False]
    found = (await client.get(f"{URL}?$search=made by", headers=auth)).json()
    assert set(found) == {"count", "page", "pageSize", "links", "items"}
    assert [item["name"] for item in found["items"]] == ["New_DE"]
    everything = (await client.get(f"{URL}?$search=_", headers=auth)).json()
    assert everything["count"] == 6  # Segment's "_" (nothing typed) matches every DE
    in_folder = (await client.get(f"{URL}/category/1001", headers=auth)).json()
    assert in_folder["count"] == 6


async def test_search_lags_behind_a_create_when_configured(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    await client.patch("/__emulator/options", json={"customobject_search_lag_seconds": 8})
    await client.post(URL, headers=auth, json=definition("Lagging"))
    assert (await client.get(f"{URL}?$search=Lagging", headers=auth)).json()["count"] == 0
    clock.advance(9)
    assert (await client.get(f"{URL}?$search=Lagging", headers=auth)).json()["count"] == 1


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"categoryId": None}, "categoryId is required"),
        ({"categoryId": "5"}, "not a data extension folder"),
        ({"fields": [{k: v for k, v in field("id").items() if k != "isHidden"}]}, "fields[0].isHidden is required"),
        (
            {"fields": [field("id", length=None, isPrimaryKey=True, isNullable=False)]},
            "A text field with no length specified cannot be used as a primary key",
        ),
        ({"fields": [field("e", "EmailAddress", length=None)]}, "does not have a data type of Text"),
        ({"fields": [field("e", "Email")]}, "fieldType is invalid"),
        ({"fields": [field("id", isPrimaryKey=True)]}, "cannot be nullable"),
        ({"fields": [field("t", length=4001)]}, "Length is invalid"),
        ({"fields": [field("d", "Decimal", length=30, scale=2)]}, "must be 1 to 29"),
        ({"sendableSubscriberField": {"name": "x"}}, "deserialize"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, auth: dict[str, str], change: dict[str, Any], text: str
) -> None:
    response = await client.post(URL, headers=auth, json=definition(**change))
    assert response.status_code == 400 and text in response.json()["message"]


async def test_duplicates_unknown_ids_and_search_without_term(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    duplicate = await client.post(URL, headers=auth, json=definition("customers"))
    assert duplicate.status_code == 409 and duplicate.json()["errorcode"] == 30004
    assert "already exists" in duplicate.json()["message"]
    missing = await client.get(f"{URL}/00000000-0000-0000-0000-000000000000", headers=auth)
    assert missing.status_code == 404 and missing.json()["errorcode"] == 30003
    by_key = await client.get(f"{URL}/Customers", headers=auth)  # §7 T6: GET takes the id, not the key
    assert by_key.status_code == 404
    no_term = await client.get(URL, headers=auth)
    assert no_term.status_code == 400 and "$search" in no_term.json()["message"]


async def test_customobjectdata_rowset_reads_rows_back(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    empty = (await client.get("/data/v1/customobjectdata/key/Audience_VIP/rowset", headers=auth)).json()
    assert empty["count"] == 0 and "items" not in empty and empty["customObjectKey"] == "Audience_VIP"
    rows = [
        {"keys": {"contactKey": f"u{i}"}, "values": {"In_Audience": True, "Email": f"u{i}@example.com"}}
        for i in range(3)
    ]
    await client.post("/hub/v1/dataevents/key:Audience_VIP/rowset", headers=auth, json=rows)
    page = (
        await client.get("/data/v1/customobjectdata/key/audience_vip/rowset?$page=2&$pageSize=2", headers=auth)
    ).json()
    assert page["count"] == 3 and page["page"] == 2 and page["pageSize"] == 2
    assert page["items"] == [
        {"keys": {"contactkey": "u2"}, "values": {"in_audience": "True", "email": "u2@example.com"}}
    ]
    assert set(page) >= {"links", "requestToken", "tokenExpireDateUtc", "customObjectId", "top"}
    unknown = await client.get("/data/v1/customobjectdata/key/Nope/rowset", headers=auth)
    assert unknown.status_code == 404
