"""The routing-engine commands: match, map, check-config, route (driven through the real CLI app)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sfmc_actions.cli import app

runner = CliRunner()


def test_match_prints_true_or_false(tmp_path: Path) -> None:
    event = tmp_path / "e.json"
    event.write_text('{"type": "track", "event": "Order Completed"}')
    fql = 'type = "track" and event = "Order Completed"'
    assert runner.invoke(app, ["match", fql, str(event)]).stdout.strip() == "true"
    result = runner.invoke(app, ["match", 'type = "identify"', "-"], input='{"type": "track"}')
    assert result.exit_code == 0 and result.stdout.strip() == "false"


def test_match_rejects_bad_fql_and_bad_json_with_exit_2() -> None:
    result = runner.invoke(app, ["match", '((type = "track"))', "-"], input="{}")
    assert result.exit_code == 2 and "invalid trigger" in result.stderr and "^" in result.stderr
    result = runner.invoke(app, ["match", 'type = "track"', "-"], input="{nope")
    assert result.exit_code == 2 and "is not valid JSON" in result.stderr


def test_map_prints_the_payload(tmp_path: Path) -> None:
    mapping = tmp_path / "m.json"
    mapping.write_text('{"id": {"@path": "$.userId"}, "greeting": {"@template": "hi {{traits.name}}"}}')
    result = runner.invoke(app, ["map", str(mapping)], input='{"userId": "u1", "traits": {"name": "Ada"}}')
    assert result.exit_code == 0 and json.loads(result.stdout) == {"id": "u1", "greeting": "hi Ada"}
    mapping.write_text('{"id": {"@path": false}}')
    result = runner.invoke(app, ["map", str(mapping)], input="{}")
    assert result.exit_code == 2 and "/id/@path should be a string or a mapping directive" in result.stderr


def test_map_prints_as_javascript_does(tmp_path: Path) -> None:
    # Index-like keys first and lone surrogates escaped, as JSON.stringify(payload, null, 2) (issue 14).
    mapping = tmp_path / "m.json"
    mapping.write_text('{"b": {"@replace": {"pattern": "\\ud83d", "value": {"@path": "$.e"}}}, "1": 2.0}')
    result = runner.invoke(app, ["map", str(mapping)], input='{"e": "\\ud83d\\ude00"}')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '{\n  "1": 2,\n  "b": "\\ude00"\n}\n'


def test_check_config_ok_and_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check-config", "examples/quickstart.yaml"])
    assert result.exit_code == 0 and "7 subscription(s)" in result.stdout and "built-in emulator" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("subscriptions:\n  - {name: s, action: nope}\n")
    result = runner.invoke(app, ["check-config", str(bad)])
    assert result.exit_code == 2 and "unknown action 'nope'" in result.stderr and "1 problem(s)" in result.stderr


def test_route_prints_payloads_and_reports_bad_lines(tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text(
        '{"type": "identify", "userId": "u1", "traits": {"email": "a@example.com"}}\n'
        "not json\n"
        '{"type": "track", "userId": "u1"}\n'
    )
    result = runner.invoke(app, ["route", "-c", "examples/quickstart.yaml", str(events)])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["subscription"] for line in lines} == {"create-contact", "customers-de"}
    assert all(line["line"] == 1 for line in lines)
    assert f"{events}:2:" in result.stderr and f"{events}:3: event:" in result.stderr
    assert "2 rejected" in result.stderr
