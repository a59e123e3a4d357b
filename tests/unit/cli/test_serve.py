"""The service commands' shells: refusals with clear messages, status and dead letters on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfmc_actions.cli import app
from sfmc_actions.queue import JobDead, open_store
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import load, tenant_key

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = str(ROOT / "examples" / "quickstart.yaml")
runner = CliRunner()
ORDER = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "messageId": "m-1",
    "properties": {"order_id": "o-1", "revenue": 5, "currency": "EUR"},
}


pytestmark = pytest.mark.usefixtures("keep_root_logging")  # serve/worker configure the root logger


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A store with one delivered-to-be job and one dead order (SFMC refused its row)."""
    url = f"sqlite:///{tmp_path}/cli.db"
    loaded = load(QUICKSTART)

    async def fill() -> None:
        store = await open_store(url)
        try:
            jobs, _ = Router(loaded.subscriptions, tenant_key(None)).route_many([ORDER])
            await store.enqueue(jobs)
            (claimed,) = await store.claim_batch("cli-test", 60, 10)
            await store.apply_outcomes(
                "cli-test", [(claimed.id, JobDead("SFMC row error: Currency too long", {"k": 1}))]
            )
        finally:
            await store.close()

    asyncio.run(fill())
    return url


def test_worker_without_credentials_refuses_and_says_what_to_do() -> None:
    result = runner.invoke(app, ["worker", "--config", QUICKSTART, "--database", "sqlite:///:memory:"])
    assert result.exit_code == 2
    assert "no SFMC credentials" in result.output and "--emulator-url" in result.output


def test_serve_reports_config_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("subscriptions:\n  - name: x\n    action: nope\n")
    result = runner.invoke(app, ["serve", "--config", str(bad), "--database", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2 and "unknown action 'nope'" in result.output


def test_a_bad_database_url_is_explained(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--database", "mysql://x"])
    assert result.exit_code == 2 and "unsupported database URL scheme 'mysql'" in result.output


def test_status_json_and_table(database: str) -> None:
    result = runner.invoke(app, ["status", "--database", database, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["totals"]["dead"] == 1
    assert report["last_errors"][0]["error"] == "SFMC row error: Currency too long"
    table = runner.invoke(app, ["status", "--database", database])
    assert table.exit_code == 0 and "orders-de" in table.output and "Last errors" in table.output


def test_dead_letters_list_show_and_filters(database: str) -> None:
    listed = runner.invoke(app, ["dead-letters", "list", "--database", database, "--json"])
    (dead,) = json.loads(listed.output)
    assert dead["subscription"] == "orders-de" and dead["reason"] == "SFMC row error: Currency too long"
    none = runner.invoke(app, ["dead-letters", "list", "--database", database, "--json", "--reason", "timeout"])
    assert json.loads(none.output) == []
    since = runner.invoke(app, ["dead-letters", "list", "--database", database, "--json", "--since", "1h"])
    assert len(json.loads(since.output)) == 1
    shown = runner.invoke(app, ["dead-letters", "show", str(dead["id"]), "--database", database])
    assert shown.exit_code == 0 and "Currency too long" in shown.output and "o-1" in shown.output
    missing = runner.invoke(app, ["dead-letters", "show", "999", "--database", database])
    assert missing.exit_code == 2 and "there is no job 999" in missing.output
    bad_since = runner.invoke(app, ["dead-letters", "list", "--database", database, "--since", "last week"])
    assert bad_since.exit_code == 2 and "neither a duration" in bad_since.output


def test_dead_letters_replay_dry_run_then_for_real(database: str) -> None:
    dry = runner.invoke(app, ["dead-letters", "replay", "--config", QUICKSTART, "--database", database, "--dry-run"])
    assert dry.exit_code == 0 and "would replay 1 dead letter(s) into 1 job(s)" in dry.output
    real = runner.invoke(app, ["dead-letters", "replay", "--config", QUICKSTART, "--database", database])
    assert real.exit_code == 0 and "replayed 1 dead letter(s) into 1 job(s)" in real.output
    again = runner.invoke(app, ["dead-letters", "replay", "--config", QUICKSTART, "--database", database])
    assert again.exit_code == 0 and "no dead letters match: nothing to replay" in again.output
    status = json.loads(runner.invoke(app, ["status", "--database", database, "--json"]).output)
    assert status["totals"]["pending"] == 1  # queued again, for the workers


def test_replay_of_unknown_ids_is_refused(database: str) -> None:
    result = runner.invoke(app, ["dead-letters", "replay", "7", "8", "--config", QUICKSTART, "--database", database])
    assert result.exit_code == 2 and "no job with id 7, 8" in result.output


def test_a_taken_port_is_explained(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(
            app,
            [
                "serve",
                "--config",
                QUICKSTART,
                "--port",
                str(port),
                "--emulator-port",
                "0",
                "--database",
                f"sqlite:///{tmp_path}/x.db",
            ],
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


def test_a_bad_emulator_seed_is_explained(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("tenants: 5\n")
    result = runner.invoke(
        app,
        [
            "serve",
            "--config",
            QUICKSTART,
            "--emulator-seed",
            str(seed),
            "--port",
            "0",
            "--database",
            f"sqlite:///{tmp_path}/x.db",
        ],
    )
    assert result.exit_code == 2 and "the built-in emulator cannot start with the seed" in result.output


def test_dead_letters_holding_lone_surrogates_are_shown(tmp_path: Path) -> None:
    # An event or row may hold half of an emoji (JavaScript strings can); orjson refuses to write it (issue 14).
    url = f"sqlite:///{tmp_path}/cli.db"
    order = {**ORDER, "properties": {**ORDER["properties"], "order_id": "o-\ud83d"}}  # type: ignore[dict-item]

    async def fill() -> None:
        store = await open_store(url)
        try:
            jobs, _ = Router(load(QUICKSTART).subscriptions, tenant_key(None)).route_many([order])
            await store.enqueue(jobs)
            (claimed,) = await store.claim_batch("cli-test", 60, 10)
            await store.apply_outcomes("cli-test", [(claimed.id, JobDead("SFMC row error", {"k": "\ude00"}))])
        finally:
            await store.close()

    asyncio.run(fill())
    (dead,) = json.loads(runner.invoke(app, ["dead-letters", "list", "--database", url, "--json"]).output)
    shown = runner.invoke(app, ["dead-letters", "show", str(dead["id"]), "--database", url, "--json"])
    assert shown.exit_code == 0, shown.output
    job = json.loads(shown.output)
    assert job["event"]["properties"]["order_id"] == "o-\ud83d" and job["sent_row"] == {"k": "\ude00"}
    text = runner.invoke(app, ["dead-letters", "show", str(dead["id"]), "--database", url])
    assert text.exit_code == 0 and "o-\\ud83d" in text.output
