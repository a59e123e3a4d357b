"""§9 / checklist 11: the fault rule engine and each fault as the client sees it (in-process)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sfmc_actions.emulator import Clock, FaultConfigError, create_app
from sfmc_actions.emulator.faults import FaultEngine, load_faults

from .conftest import CREDENTIALS, SEED, rows_of

ROWSET = "/hub/v1/dataevents/key:Customers/rowset"
DOC = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"


def fired(engine: FaultEngine, calls: int, route: str = "rowset") -> list[int]:
    return [n for n in range(1, calls + 1) if engine.pick(route, "POST", "/x")]


def test_nth_every_times_and_route_matching() -> None:
    assert fired(FaultEngine({"rules": [{"fault": "blocked", "nth": [2, 4]}]}), 6) == [2, 4]
    assert fired(FaultEngine({"rules": [{"fault": "blocked", "every": 3}]}), 9) == [3, 6, 9]
    assert fired(FaultEngine({"rules": [{"fault": "blocked", "times": 2}]}), 5) == [1, 2]
    assert fired(FaultEngine({"rules": [{"fault": "blocked", "route": "token"}]}), 3) == []
    assert fired(FaultEngine({"rules": [{"fault": "blocked", "path": "/X", "method": "post"}]}), 2) == [1, 2]


def test_probability_is_deterministic_for_a_seed() -> None:
    config = {"seed": 7, "rules": [{"fault": "server_error", "probability": 0.3}]}
    first, second = fired(FaultEngine(config), 200), fired(FaultEngine(config), 200)
    assert first == second and 30 < len(first) < 90
    assert fired(FaultEngine({**config, "seed": 8}), 200) != first


@pytest.mark.parametrize(
    ("config", "text"),
    [
        ({"rules": [{"fault": "explode"}]}, "faults.rules[0].fault: 'explode' is not a fault"),
        ({"rules": [{"fault": "blocked", "route": "rowsets"}]}, "'rowsets' is not a route"),
        ({"rules": [{"fault": "blocked", "nth": 0}]}, "nth"),
        ({"rules": [{"fault": "blocked", "probability": 2}]}, "between 0 and 1"),
        ({"rules": [{"fault": "blocked", "colour": "red"}]}, "unknown key 'colour'"),
        ({"rule": []}, "unknown key 'rule'"),
        ({"rules": [{"fault": "drop", "after": "yes"}]}, "faults.rules[0].after: expected true or false"),
        ({"rules": [{"fault": "server_error", "after": True}]}, "only the timeout and drop faults"),
    ],
)
def test_bad_rules_are_named(config: dict[str, Any], text: str) -> None:
    with pytest.raises(FaultConfigError, match=None) as caught:
        FaultEngine(config)
    assert text in str(caught.value)


def test_fault_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text("seed: 3\nrules:\n  - fault: rate_limit\n    route: rowset\n    nth: 1\n")
    engine = FaultEngine(load_faults(path))
    assert engine.seed == 3 and engine.rules[0].fault == "rate_limit"
    path.write_text("rules: [\n")
    with pytest.raises(FaultConfigError, match="not valid YAML"):
        load_faults(path)


@asynccontextmanager
async def _app_client(
    rules: list[dict[str, Any]],
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient, dict[str, str]]]:
    app = create_app(SEED, {"rules": rules}, clock=Clock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        token = (await client.post("/v2/token", json=CREDENTIALS)).json()["access_token"]
        yield app, client, {"Authorization": f"Bearer {token}"}


ROW = [{"keys": {"contactKey": "u"}, "values": {"Plan": "p"}}]


@pytest.mark.parametrize(
    ("fault", "status", "body", "retry_after"),
    [
        (
            "rate_limit",
            429,
            {"message": "Rate limit exceeded", "errorcode": 50100, "retryAfter": 7, "documentation": DOC},
            "7",
        ),
        (
            "blocked",
            429,
            {"message": "Your requests are temporarily blocked.", "errorcode": 50200, "documentation": DOC},
            None,
        ),
        ("unavailable", 503, {"message": "Service Unavailable", "errorcode": 50300, "documentation": DOC}, "7"),
        ("server_error", 500, {"message": "Internal Server Error", "documentation": ""}, None),
        ("unauthorized", 401, {"documentation": DOC, "errorcode": 0, "message": "Not Authorized"}, None),
    ],
)
async def test_status_faults(fault: str, status: int, body: dict[str, Any], retry_after: str | None) -> None:
    async with _app_client([{"fault": fault, "route": "rowset", "nth": 1, "retry_after": 7}]) as (app, client, auth):
        response = await client.post(ROWSET, headers=auth, json=ROW)
        assert response.status_code == status and response.json() == body
        assert response.headers.get("retry-after") == retry_after
        assert (await client.post(ROWSET, headers=auth, json=ROW)).status_code == 200  # only the 1st call
    assert len(rows_of(app, "Customers")) == 1


async def test_expire_tokens_now() -> None:
    async with _app_client([{"fault": "expire_tokens", "route": "events", "nth": 1}]) as (_app, client, auth):
        first = await client.post("/interaction/v1/events", headers=auth, json={})
        assert first.status_code == 401 and first.json()["message"] == "Not Authorized"
        token = (await client.post("/v2/token", json=CREDENTIALS)).json()["access_token"]
        again = await client.post(
            "/interaction/v1/events",
            headers={"Authorization": f"Bearer {token}"},
            json={"ContactKey": "u", "EventDefinitionKey": "APIEvent-welcome"},
        )
        assert again.status_code == 201


async def test_latency_timeout_and_drop() -> None:
    rules = [
        {"fault": "latency", "route": "contacts", "seconds": 0.2},
        {"fault": "timeout", "route": "events", "seconds": 0.1},
        {"fault": "drop", "route": "async_status"},
    ]
    async with _app_client(rules) as (_app, client, auth):
        started = time.perf_counter()
        slow = await client.post("/contacts/v1/contacts", headers=auth, json={"contactKey": "u", "attributeSets": []})
        assert slow.status_code == 200 and time.perf_counter() - started >= 0.2
        with pytest.raises(ConnectionResetError):  # in-process, a dropped connection is an exception
            await client.post("/interaction/v1/events", headers=auth, json={})
        with pytest.raises(ConnectionResetError):
            await client.get("/data/v1/async/x/status", headers=auth)


async def test_timeout_and_drop_after_processing_lose_only_the_answer() -> None:
    rules = [
        {"fault": "drop", "route": "events", "nth": 1, "after": True},
        {"fault": "timeout", "route": "contacts", "nth": 1, "seconds": 0.05, "after": True},
        {"fault": "drop", "route": "events", "nth": 2},
    ]
    event = {"ContactKey": "u1", "EventDefinitionKey": "APIEvent-welcome", "Data": {"Plan": "pro"}}
    async with _app_client(rules) as (app, client, auth):
        with pytest.raises(ConnectionResetError):
            await client.post("/interaction/v1/events", headers=auth, json=event)
        with pytest.raises(ConnectionResetError):  # hangs 0.05 s, then drops
            await client.post("/contacts/v1/contacts", headers=auth, json={"contactKey": "c1", "attributeSets": []})
        with pytest.raises(ConnectionResetError):  # before processing: nothing happens
            await client.post("/interaction/v1/events", headers=auth, json={**event, "ContactKey": "u2"})
        tenant = next(iter(app.state.emulator.state.tenants.values()))
        assert [e.contact_key for e in tenant.fired_events] == ["u1"]  # entered, though the client never knew
        assert "c1" in tenant.contacts
        journal = (await client.get("/__emulator/journal?route=events")).json()
        assert (journal[0]["status"], journal[0].get("answer")) == (201, "lost")  # done, then the answer lost
        assert journal[1]["status"] != 201


async def test_reject_row_and_transient_10006() -> None:
    rules = [
        {"fault": "reject_row", "route": "rowset", "nth": 1, "rows": [1], "message": "Plan: nope"},
        {"fault": "transient_10006", "route": "rowset", "nth": 2},
    ]
    rows = [{"keys": {"contactKey": k}, "values": {"Plan": "p"}} for k in ("a", "b", "c")]
    async with _app_client(rules) as (app, client, auth):
        first = await client.post(ROWSET, headers=auth, json=rows)
        assert first.status_code == 400 and first.json()["additionalErrors"][0]["message"] == "Plan: nope"
        assert [r["contactKey"] for r in rows_of(app, "Customers")] == ["a"]
        second = await client.post(ROWSET, headers=auth, json=[{"keys": {"contactKey": "z"}, "values": {"Plan": "p"}}])
        assert second.status_code == 400 and "additionalErrors" not in second.json()
        assert second.json()["message"].startswith("Unable to save rows for data extension ID ")
        assert len(rows_of(app, "Customers")) == 1


async def test_async_deadlock_rows() -> None:
    items = [{"Order_ID": str(i)} for i in range(3)]
    async with _app_client([{"fault": "deadlock", "route": "async_rows", "rows": [0, 2]}]) as (app, client, auth):
        job = (
            await client.put("/data/v1/async/dataextensions/key:Orders/rows", headers=auth, json={"items": items})
        ).json()["requestId"]
        app.state.emulator.clock.advance(5)
        results = (await client.get(f"/data/v1/async/{job}/results", headers=auth)).json()["items"]
    assert [r["status"] for r in results] == ["Error", "OK", "Error"]
    assert results[0]["errorCode"] == 2 and results[0]["message"].endswith("Rerun the transaction.")
    assert [r["Order_ID"] for r in rows_of(app, "Orders")] == ["1"]


async def test_soap_faults_are_http_500_soap_faults() -> None:
    async with _app_client([{"fault": "blocked", "route": "soap"}]) as (_app, client, _auth):
        response = await client.post("/Service.asmx", content="<x/>", headers={"Content-Type": "text/xml"})
    assert response.status_code == 500 and "<soap:Fault>" in response.text


async def test_faults_set_at_runtime(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    configured = await client.put(
        "/__emulator/faults", json={"seed": 1, "rules": [{"fault": "blocked", "route": "rowset"}]}
    )
    assert configured.status_code == 200 and configured.json()["rules"][0]["fault"] == "blocked"
    assert (await client.post(ROWSET, headers=auth, json=ROW)).status_code == 429
    added = await client.post("/__emulator/faults", json={"fault": "server_error", "route": "contacts"})
    assert len(added.json()["rules"]) == 2
    listed = (await client.get("/__emulator/faults")).json()
    assert listed["rules"][0]["calls"] == 1 and listed["rules"][0]["fired"] == 1 and "rate_limit" in listed["faults"]
    bad = await client.put("/__emulator/faults", json={"rules": [{"fault": "nope"}]})
    assert bad.status_code == 400 and "is not a fault" in bad.json()["error"]
    assert len((await client.get("/__emulator/faults")).json()["rules"]) == 2  # a bad config changes nothing
    await client.delete("/__emulator/faults")
    assert (await client.post(ROWSET, headers=auth, json=ROW)).status_code == 200
