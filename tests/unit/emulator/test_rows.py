"""§3 synchronous rows: rowset and single-row PUT."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sfmc_actions.emulator import create_app

from .conftest import rows_of

URL = "/hub/v1/dataevents/key:Customers/rowset"


def row(key: str, **values: Any) -> dict[str, Any]:
    return {"keys": {"contactKey": key}, "values": values}


async def test_success_echoes_the_rows_and_upserts(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    rows = [row("u1", Email="a@example.com", Plan="pro"), row("u2", First_Name="Bo")]
    response = await client.post(URL, json=rows, headers=auth)
    assert response.status_code == 200 and response.json() == rows
    await client.post(URL, json=[row("U1", First_Name="Ada")], headers=auth)  # PK values case-insensitive
    saved = {r["contactKey"].lower(): r for r in rows_of(app, "Customers")}
    assert saved["u1"] == {"contactKey": "U1", "Email": "a@example.com", "Plan": "pro", "First_Name": "Ada"}
    assert len(saved) == 2


async def test_rows_before_the_first_bad_row_are_saved_and_none_after(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    rows = [
        row("ok1", Plan="a"),
        row("bad1", Email="not-an-email"),
        row("ok2", Plan="b"),
        row("bad2", Email="x"),
        {"keys": {"subscriberkey": "z"}, "values": {"Nope": 1}},
    ]
    response = await client.post(URL, json=rows, headers=auth)
    assert response.status_code == 400
    body = response.json()
    de_id = next(
        de.id
        for t in app.state.emulator.state.tenants.values()
        for de in t.data_extensions.values()
        if de.key == "Customers"
    )
    assert body["message"] == f"Unable to save rows for data extension ID {de_id}"
    assert body["errorcode"] == 10006 and body["documentation"] == ""
    messages = [e["message"] for e in body["additionalErrors"]]
    assert messages[0] == "At least one existing field is required in the values property"
    email = "Email: The value for column [Email] is not a valid email address. Parse error [InvalidEmailAddress]"
    assert messages.count(email) == 1  # de-duplicated
    assert "Primary key 'subscriberkey' does not exist." in messages
    assert all(e["errorcode"] == 10000 and e["documentation"] == "" for e in body["additionalErrors"])
    assert [r["contactKey"] for r in rows_of(app, "Customers")] == ["ok1"]


@pytest.mark.parametrize(
    ("key", "values", "problem"),
    [
        ("Orders", {"Revenue": "12.5x"}, "[Revenue] is not a valid decimal number."),
        ("Orders", {"Revenue": 123456789012345678901}, "[Revenue] is out of range"),
        ("Orders", {"Currency": "EURO"}, "[Currency] is too long. The maximum length is 3"),
        ("Orders", {"Ordered_At": "yesterday"}, "[Ordered_At] is not a valid date"),
        ("Audience_VIP", {"In_Audience": "maybe"}, "[In_Audience] is not a valid boolean"),
    ],
)
async def test_type_and_length_checks(
    client: httpx.AsyncClient, auth: dict[str, str], key: str, values: dict[str, Any], problem: str
) -> None:
    pk = "Order_ID" if key == "Orders" else "contactKey"
    response = await client.post(
        f"/hub/v1/dataevents/key:{key}/rowset", headers=auth, json=[{"keys": {pk: "1"}, "values": values}]
    )
    assert response.status_code == 400
    message = response.json()["additionalErrors"][0]["message"]
    column = problem[1 : problem.index("]")]
    assert message.startswith(f"{column}: The value for column [{column}]") and problem in message


@pytest.mark.parametrize("value", ["2013-05-23T14:32:00Z", "5/23/2013 2:32:00 PM", "5/23/2013"])
async def test_accepted_date_forms(client: httpx.AsyncClient, auth: dict[str, str], value: str) -> None:
    response = await client.post(
        "/hub/v1/dataevents/key:Orders/rowset",
        headers=auth,
        json=[{"keys": {"Order_ID": "1"}, "values": {"Ordered_At": value}}],
    )
    assert response.status_code == 200


async def test_null_in_a_non_nullable_column_and_unknown_columns(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    response = await client.post(URL, headers=auth, json=[row("u1", Plan="x", Unknown_Column=1)])
    assert response.status_code == 200  # §3 INF: unknown columns are ignored when one known column is present
    assert "Unknown_Column" not in rows_of(app, "Customers")[0]
    missing_key = await client.post(URL, headers=auth, json=[{"keys": {"contactKey": None}, "values": {"Plan": "x"}}])
    assert "does not allow null value" in missing_key.json()["additionalErrors"][0]["message"]


async def test_error_names_can_be_lower_cased(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await client.patch("/__emulator/options", json={"lowercase_error_names": True})
    response = await client.post(URL, headers=auth, json=[row("u1", Email="bad")])
    assert response.json()["additionalErrors"][0]["message"].startswith("email: The value for column [email]")


async def test_unknown_and_malformed_data_extension_references(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    unknown = await client.post("/hub/v1/dataevents/key:Nope/rowset", headers=auth, json=[])
    assert unknown.status_code == 400 and "Nope" in unknown.json()["message"]
    malformed = await client.post("/hub/v1/dataevents/not-a-guid/rowset", headers=auth, json=[])
    assert malformed.status_code == 400
    assert malformed.json() == {"message": "Parameter {guid} is invalid.", "errorcode": 10001, "documentation": ""}


async def test_id_forms_resolve_the_same_data_extension(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    de_id = next(
        de.id
        for t in app.state.emulator.state.tenants.values()
        for de in t.data_extensions.values()
        if de.key == "Customers"
    )
    for ref in (de_id, f"id:{de_id}", de_id.upper(), "key:customers"):
        response = await client.post(f"/hub/v1/dataevents/{ref}/rowset", headers=auth, json=[row(ref, Plan="p")])
        assert response.status_code == 200, ref
    assert len(rows_of(app, "Customers")) == 3  # the GUID and its upper-case form are one PK value


async def test_body_limits_and_formats(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    big = [row(str(i), Plan="x" * 40) for i in range(60_000)]
    too_big = await client.post(URL, headers=auth, json=big)
    assert too_big.status_code == 413 and "5242880" in too_big.json()["message"]
    broken = await client.post(URL, headers={**auth, "Content-Type": "application/json"}, content=b"[{")
    assert broken.status_code == 400 and broken.json()["errorcode"] == 10004
    not_json = await client.post(URL, headers={**auth, "Content-Type": "text/plain"}, content=b"[]")
    assert not_json.status_code == 415
    not_array = await client.post(URL, headers=auth, json={"keys": {}})
    assert not_array.status_code == 400 and not_array.json()["errorcode"] == 10003


async def test_single_row_put_with_composite_url_keys(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    seed_de = {
        "name": "Pairs",
        "fields": [
            {"name": "Contact Key", "primary_key": True},
            {"name": "Region", "primary_key": True},
            {"name": "Score", "type": "Number"},
        ],
    }
    app_seed = {
        "tenants": [
            {
                "subdomain": "mcx",
                "mids": [1],
                "packages": [{"client_id": "c", "client_secret": "s"}],
                "data_extensions": [seed_de],
            }
        ]
    }
    app = create_app(app_seed)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as c:
        token = (
            await c.post("/v2/token", json={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"})
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        response = await c.put(
            "/hub/v1/dataevents/key:Pairs/rows/Contact%20Key:a:b,Region:EU",
            headers=headers,
            json={"values": {"Score": 5}},
        )
        assert response.status_code == 200
        assert response.json() == {"keys": {"Contact Key": "a:b", "Region": "EU"}, "values": {"Score": 5}}
        bad = await c.put(
            "/hub/v1/dataevents/key:Pairs/rows/Contact%20Key:a", headers=headers, json={"values": {"Score": "many"}}
        )
        assert bad.status_code == 400 and bad.json()["errorcode"] == 10006
        rows = rows_of(app, "Pairs")
    assert rows == [{"Contact Key": "a:b", "Region": "EU", "Score": 5}]


async def test_case_sensitive_names_can_be_switched_on(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    lenient = await client.post(URL, headers=auth, json=[{"keys": {"contactkey": "u"}, "values": {"plan": "x"}}])
    assert lenient.status_code == 200
    await client.patch("/__emulator/options", json={"case_sensitive_names": True})
    strict = await client.post(URL, headers=auth, json=[{"keys": {"contactkey": "u"}, "values": {"plan": "x"}}])
    messages = [e["message"] for e in strict.json()["additionalErrors"]]
    assert "Primary key 'contactkey' does not exist." in messages
    assert (await client.post("/hub/v1/dataevents/key:customers/rowset", headers=auth, json=[])).status_code == 400
