"""`--state FILE`: the state survives a restart (real SQLite files, real processes)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sfmc_actions.emulator import Clock, create_app

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "examples" / "emulator-seed.yaml"
CREDENTIALS = {"grant_type": "client_credentials", "client_id": "demo-client-id", "client_secret": "demo-client-secret"}


async def _write_everything(client: httpx.AsyncClient) -> None:
    token = (await client.post("/v2/token", json=CREDENTIALS)).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    await client.post(
        "/hub/v1/dataevents/key:Customers/rowset",
        headers=auth,
        json=[{"keys": {"contactKey": "u1"}, "values": {"Plan": "pro"}}],
    )
    await client.post("/contacts/v1/contacts", headers=auth, json={"contactKey": "u1", "attributeSets": []})
    await client.post(
        "/interaction/v1/events",
        headers=auth,
        json={"ContactKey": "u1", "EventDefinitionKey": "APIEvent-welcome", "Data": {"Plan": "pro"}},
    )
    await client.put(
        "/data/v1/async/dataextensions/key:Orders/rows",
        headers=auth,
        json={"items": [{"Order_ID": "o1", "Revenue": 5}]},
    )
    fields = [
        {
            "name": "id",
            "type": "Text",
            "length": 10,
            "isPrimaryKey": True,
            "isNullable": False,
            "ordinal": 0,
            "isTemplateField": False,
            "isHidden": False,
            "isOverridable": False,
            "isInheritable": False,
            "isReadOnly": False,
            "mustOverride": False,
        }
    ]
    created = await client.post(
        "/data/v1/customobjects", headers=auth, json={"name": "Made_Live", "categoryId": 1001, "fields": fields}
    )
    assert created.status_code == 201
    await client.post(
        "/hub/v1/dataevents/key:" + created.json()["key"] + "/rowset",
        headers=auth,
        json=[{"keys": {"id": "r1"}, "values": {"id": "r1"}}],
    )


async def test_in_process_restart_keeps_the_state(tmp_path: Path) -> None:
    state_file = tmp_path / "emulator.sqlite"
    clock = Clock()
    first = create_app(SEED, state_file=state_file, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://e") as client:
        await _write_everything(client)
    first.state.emulator.store.close()
    clock.advance(10)  # the async job completes after the restart
    second = create_app(SEED, state_file=state_file, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://e") as client:
        assert (await client.get("/__emulator/data-extensions/Customers/rows")).json() == [
            {"contactKey": "u1", "Plan": "pro"}
        ]
        assert [c["contact_key"] for c in (await client.get("/__emulator/contacts")).json()] == ["u1"]
        assert len((await client.get("/__emulator/journey-events")).json()) == 1
        assert len((await client.get("/__emulator/data-extensions/Welcome_Journey_Entry/rows")).json()) == 1
        orders = (await client.get("/__emulator/data-extensions/Orders/rows")).json()
        assert orders == [{"Order_ID": "o1", "Revenue": 5}]
        assert (await client.get("/__emulator/data-extensions/Made_Live/rows")).json() == [{"id": "r1"}]
        next_contact = await client.post("/v2/token", json=CREDENTIALS)
        auth = {"Authorization": f"Bearer {next_contact.json()['access_token']}"}
        other = (
            await client.post("/contacts/v1/contacts", headers=auth, json={"contactKey": "u2", "attributeSets": []})
        ).json()
        assert other["contactID"] == 10000002  # ids continue after a restart
        await client.post("/__emulator/reset")
    second.state.emulator.store.close()
    third = create_app(SEED, state_file=state_file)
    assert all(not de.rows for t in third.state.emulator.state.tenants.values() for de in t.data_extensions.values())


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_cli_emulator_survives_a_restart_with_a_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "demo.sqlite"
    command = [
        sys.executable,
        "-m",
        "sfmc_actions",
        "emulator",
        "--port",
        "0",
        "--seed",
        str(SEED),
        "--state",
        str(state_file),
    ]

    def start() -> tuple[subprocess.Popen[str], str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        banner = ""
        for line in process.stdout:
            banner += line
            if "inspection API" in line:
                break
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert found, banner
        assert "mcdemo0000000000000000000000" in banner and "demo-client-id" in banner and "100000001" in banner
        return process, found.group(1)

    process, base = start()
    try:
        token = httpx.post(base + "/v2/token", json=CREDENTIALS).json()["access_token"]
        response = httpx.post(
            base + "/hub/v1/dataevents/key:Audience_VIP/rowset",
            headers={"Authorization": f"Bearer {token}"},
            json=[{"keys": {"contactKey": "vip"}, "values": {"In_Audience": True}}],
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
        assert process.stdout is not None
        process.stdout.close()
    process, base = start()
    try:
        rows = httpx.get(base + "/__emulator/data-extensions/Audience_VIP/rows").json()
        assert rows == [{"contactKey": "vip", "In_Audience": True}]
        stale = httpx.get(base + "/data/v1/customobjects?$search=x", headers={"Authorization": f"Bearer {token}"})
        assert stale.status_code == 401  # tokens are not kept: clients fetch a new one
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(15)
        assert process.stdout is not None
        process.stdout.close()


def test_cli_reports_a_bad_seed_clearly(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("tenants:\n  - subdomain: mcx\n    mids: [1]\n    data_extensions:\n      - name: D\n")
    result = subprocess.run(
        [sys.executable, "-m", "sfmc_actions", "emulator", "--seed", str(seed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 2
    assert "seed.tenants[0].data_extensions[0].fields: a data extension needs at least one field" in result.stderr
