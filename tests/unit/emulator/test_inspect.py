"""The inspection API under /__emulator/: journal redaction, state views, reset, clock, options."""

from __future__ import annotations

import httpx

from sfmc_actions.emulator import Clock

from .conftest import CREDENTIALS


async def test_journal_replaces_secrets(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await client.post("/v2/token", data={**CREDENTIALS})
    await client.post(
        "/hub/v1/dataevents/key:Customers/rowset",
        headers=auth,
        json=[{"keys": {"contactKey": "u"}, "values": {"Plan": "p"}}],
    )
    await client.post(
        "/Service.asmx",
        content=f"<x><fueloauth>{auth['Authorization'][7:]}</fueloauth></x>",
        headers={"Content-Type": "text/xml"},
    )
    entries = (await client.get("/__emulator/journal")).json()
    text = str(entries)
    assert "demo-client-secret" not in text and auth["Authorization"][7:] not in text
    json_token, form_token, rowset, soap = entries
    assert json_token["body"]["client_secret"] == "***" and "client_secret=%2A%2A%2A" in form_token["body"]
    assert rowset["headers"]["authorization"] == "Bearer <token-1 demo-client-id MID 100000001>"
    assert rowset["route"] == "rowset" and rowset["status"] == 200 and rowset["body"][0]["keys"] == {"contactKey": "u"}
    assert "<fueloauth><token-1 demo-client-id MID 100000001></fueloauth>" in soap["body"]
    only = (await client.get("/__emulator/journal?route=rowset&limit=5")).json()
    assert [e["route"] for e in only] == ["rowset"]
    await client.delete("/__emulator/journal")
    assert (await client.get("/__emulator/journal")).json() == []


async def test_state_views_and_reset(client: httpx.AsyncClient, auth: dict[str, str], clock: Clock) -> None:
    await client.post(
        "/hub/v1/dataevents/key:Orders/rowset",
        headers=auth,
        json=[{"keys": {"Order_ID": "o1"}, "values": {"Revenue": 2.5}}],
    )
    await client.put(
        "/data/v1/async/dataextensions/key:Orders/rows", headers=auth, json={"items": [{"Order_ID": "o2"}]}
    )
    await client.post("/contacts/v1/contacts", headers=auth, json={"contactKey": "c1", "attributeSets": []})
    index = (await client.get("/__emulator/")).json()
    assert "GET /__emulator/journal" in index["routes"] and index["tenants"][0]["data_extensions"] == 5
    assert (await client.get("/__emulator/data-extensions/orders")).json()["rows"] == [
        {"Order_ID": "o1", "Revenue": 2.5}
    ]
    jobs = (await client.get("/__emulator/async-jobs")).json()
    assert jobs[0]["phase"] == "not_visible" and jobs[0]["items"] == [{"Order_ID": "o2"}]
    clock_view = (await client.post("/__emulator/clock", json={"advance": 5})).json()
    assert clock_view["offset"] == 5
    job = (await client.get(f"/__emulator/async-jobs/{jobs[0]['id']}")).json()
    assert job["phase"] == "Complete" and job["results"][0]["status"] == "OK"
    assert len((await client.get("/__emulator/data-extensions/Orders/rows")).json()) == 2
    assert [c["contact_key"] for c in (await client.get("/__emulator/contacts")).json()] == ["c1"]
    tokens = (await client.get("/__emulator/tokens")).json()
    assert tokens["requests"] == {"demo-client-id": 1} and tokens["live"][0]["label"].startswith("token-1")
    assert "access_token" not in str(tokens) and "demo-client-secret" not in str(tokens)
    assert (await client.post("/__emulator/tokens/expire")).json() == {"expired": 1}
    assert (await client.get("/interaction/v1/eventDefinitions", headers=auth)).status_code == 401
    await client.post("/__emulator/reset")
    assert (await client.get("/__emulator/data-extensions/Orders/rows")).json() == []
    assert (await client.get("/__emulator/contacts")).json() == []
    assert (await client.get("/__emulator/tokens")).json() == {"requests": {}, "live": []}
    assert (await client.get("/__emulator/data-extensions/nope")).status_code == 404


async def test_options_and_bad_input(client: httpx.AsyncClient) -> None:
    changed = (await client.patch("/__emulator/options", json={"strict_contacts": True})).json()
    assert changed["strict_contacts"] is True and changed["body_limit_bytes"] == 5 * 1024 * 1024
    unknown = await client.patch("/__emulator/options", json={"nope": 1})
    assert unknown.status_code == 400 and "unknown option 'nope'" in unknown.json()["error"]
    bad_clock = await client.post("/__emulator/clock", json={"advance": -1})
    assert bad_clock.status_code == 400
