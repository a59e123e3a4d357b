"""The emulator over a real socket (uvicorn): the run helpers, and network faults as a client sees them."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from sfmc_actions.emulator import EmulatorServer, create_app, run_emulator

SEED = Path(__file__).resolve().parents[3] / "examples" / "emulator-seed.yaml"
CREDENTIALS = {"grant_type": "client_credentials", "client_id": "demo-client-id", "client_secret": "demo-client-secret"}


def test_thread_server_serves_sfmc_calls_and_network_faults() -> None:
    faults = {
        "rules": [
            {"fault": "drop", "route": "contacts", "nth": 1},
            {"fault": "timeout", "route": "events", "nth": 1, "seconds": 30},
        ]
    }
    app = create_app(SEED, faults, options={"rowset_timeout_rows": 60})
    with EmulatorServer(app) as base_url, httpx.Client(base_url=base_url, timeout=5) as client:
        token = client.post("/v2/token", data=CREDENTIALS).json()
        assert token["rest_instance_url"] == base_url + "/" and token["expires_in"] == 1079
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        rows = [{"keys": {"contactKey": f"u{i}"}, "values": {"Email": f"u{i}@example.com"}} for i in range(50)]
        assert client.post("/hub/v1/dataevents/key:Customers/rowset", json=rows, headers=auth).json() == rows
        with pytest.raises(httpx.ReadTimeout):  # a rowset over `rowset_timeout_rows` is never answered
            client.post("/hub/v1/dataevents/key:Customers/rowset", json=rows * 2, headers=auth, timeout=0.5)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):  # the connection is reset
            client.post("/contacts/v1/contacts", json={"contactKey": "c", "attributeSets": []}, headers=auth)
        retried = client.post("/contacts/v1/contacts", json={"contactKey": "c", "attributeSets": []}, headers=auth)
        assert retried.status_code == 200
        event = {"ContactKey": "c", "EventDefinitionKey": "APIEvent-welcome", "Data": {"Plan": "pro"}}
        started = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):  # no answer at all
            client.post("/interaction/v1/events", json=event, headers=auth, timeout=0.5)
        assert time.perf_counter() - started < 5
        assert client.post("/interaction/v1/events", json=event, headers=auth).status_code == 201
        journal = client.get("/__emulator/journal?route=rowset").json()
        assert journal[0]["headers"]["authorization"].startswith("Bearer <token-1 ")
        assert token["access_token"] not in client.get("/__emulator/journal").text


async def test_run_emulator_in_the_current_loop_on_a_free_port() -> None:
    async with run_emulator(create_app(SEED), "127.0.0.1", 0) as base_url:
        assert base_url.startswith("http://127.0.0.1:") and not base_url.endswith(":0")
        async with httpx.AsyncClient(base_url=base_url) as client:
            token = (await client.post("/v2/token", json=CREDENTIALS)).json()["access_token"]
            body = {"contactKey": "u", "eventDefinitionKey": "APIEvent-welcome"}
            response = await client.post(
                "/interaction/v1/events", headers={"Authorization": f"Bearer {token}"}, json=body
            )
            assert response.status_code == 201
    with pytest.raises(httpx.ConnectError):  # stopped when the block ends
        httpx.get(base_url + "/__emulator/", timeout=1)


def test_faults_after_processing_lose_the_answer_over_a_real_socket() -> None:
    faults = {
        "rules": [
            {"fault": "timeout", "route": "events", "nth": 1, "seconds": 30, "after": True},
            {"fault": "drop", "route": "events", "nth": 2, "after": True},
        ]
    }
    with EmulatorServer(create_app(SEED, faults)) as base_url, httpx.Client(base_url=base_url, timeout=5) as client:
        token = client.post("/v2/token", data=CREDENTIALS).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        event = {"ContactKey": "c1", "EventDefinitionKey": "APIEvent-welcome", "Data": {"Plan": "pro"}}
        with pytest.raises(httpx.ReadTimeout):  # processed, then never answered
            client.post("/interaction/v1/events", json=event, headers=auth, timeout=0.5)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):  # processed, then the connection reset
            client.post("/interaction/v1/events", json={**event, "ContactKey": "c2"}, headers=auth)
        fired = client.get("/__emulator/journey-events").json()
        assert sorted(e["contact_key"] for e in fired) == ["c1", "c2"]
