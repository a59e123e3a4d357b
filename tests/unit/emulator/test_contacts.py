"""§5 contacts: upsert by contactKey with the fields of a real response."""

from __future__ import annotations

import re

import httpx

from sfmc_actions.emulator import create_app

from .conftest import CREDENTIALS, SEED

URL = "/contacts/v1/contacts"


async def test_create_then_update(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    first = await client.post(URL, headers=auth, json={"contactKey": "u-1", "attributeSets": []})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {
        "operationStatus",
        "rowsAffected",
        "contactKey",
        "contactID",
        "contactTypeID",
        "isNewContactKey",
        "requestServiceMessageID",
        "responseDateTime",
        "hasErrors",
        "resultMessages",
        "serviceMessageID",
    }
    assert body["operationStatus"] == "OK" and body["rowsAffected"] == 1 and body["isNewContactKey"] is True
    assert body["hasErrors"] is False and body["resultMessages"] == [] and body["contactTypeID"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}-06:00", body["responseDateTime"])
    again = (await client.post(URL, headers=auth, json={"contactKey": "u-1", "attributeSets": []})).json()
    assert again["isNewContactKey"] is False and again["contactID"] == body["contactID"]
    other = (await client.post(URL, headers=auth, json={"contactKey": "u-2", "attributeSets": []})).json()
    assert other["contactID"] != body["contactID"]
    assert [c["contact_key"] for c in (await client.get("/__emulator/contacts")).json()] == ["u-1", "u-2"]


async def test_errors_and_strict_mode(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    missing = await client.post(URL, headers=auth, json={"attributeSets": []})
    assert missing.status_code == 400 and missing.json()["hasErrors"] is True
    assert missing.json()["resultMessages"][0]["resultClass"] == "Error"
    app = create_app(SEED, options={"strict_contacts": True})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as c:
        token = (await c.post("/v2/token", json=CREDENTIALS)).json()["access_token"]
        strict = await c.post(
            URL, headers={"Authorization": f"Bearer {token}"}, json={"contactKey": "u", "attributeSets": []}
        )
    assert strict.status_code == 400 and "attribute set" in strict.json()["resultMessages"][0]["message"]
