"""Several destinations through the real CLI: check-config reports them all; route and send make jobs for every
destination whose subscriptions match; status and dead-letters tell (and filter by) the destination."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfmc_actions.cli import app

runner = CliRunner()
TWO = """destinations:
  - name: emea
    settings: {subdomain: mcemea, account_id: 100000001, client_id: c1, client_secret: "${EMEA_SECRET:-s1}"}
    subscriptions:
      - {name: orders, action: dataExtension, trigger: type = 'track', mapping: {key: Orders, keys: {}, values: {}}}
  - name: us
    settings: {subdomain: mcus, account_id: 100000001, client_id: c2, client_secret: s2}
    subscriptions:
      - {name: orders, action: dataExtension, trigger: type = "track", mapping: {key: orders, keys: {}, values: {}}}
      - {name: contacts, action: contact}
"""


pytestmark = pytest.mark.usefixtures("keep_root_logging")  # serve/worker configure the root logger


@pytest.fixture
def two(tmp_path: Path) -> Path:
    path = tmp_path / "two.yaml"
    path.write_text(TWO)
    return path


def test_check_config_reports_every_destination_and_the_shared_data_extension(two: Path) -> None:
    result = runner.invoke(app, ["check-config", str(two)])
    assert result.exit_code == 0, result.stderr
    assert f"ok {two}: 2 destinations, 3 subscription(s), 0 source(s)" in result.stdout
    assert "emea: 1 subscription(s), delivering to the SFMC tenant mcemea (MID 100000001)" in result.stdout
    assert "us: 2 subscription(s), delivering to the SFMC tenant mcus (MID 100000001)" in result.stdout
    stderr = " ".join(result.stderr.split())
    assert f"warning: {two}:5: subscription 'orders' of destination 'emea':" in stderr  # single quotes
    assert "all write to data extension key:Orders in business unit 100000001" in stderr


def test_check_config_reports_duplicate_subscription_names_with_line_and_fix(two: Path) -> None:
    two.write_text(TWO.replace("{name: contacts,", "{name: orders,"))
    result = runner.invoke(app, ["check-config", str(two)])
    assert result.exit_code == 2
    stderr = " ".join(result.stderr.split())
    assert f"{two}:10: destinations[1].subscriptions[1].name: duplicate subscription name 'orders'" in stderr
    assert "how to fix: give each subscription name once" in stderr


@pytest.fixture
def both_match(two: Path) -> Path:
    """TWO with emea's trigger in double quotes (single-quoted text matches nothing in FQL, as at Segment)."""
    two.write_text(TWO.replace("trigger: type = 'track'", 'trigger: type = "track"'))
    return two


def test_route_makes_a_job_for_every_destination_whose_subscriptions_match(both_match: Path) -> None:
    two = both_match
    event = '{"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1"}\n'
    result = runner.invoke(app, ["route", "-c", str(two), "-"], input=event)
    assert result.exit_code == 0, result.stderr
    routed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["destination"], r["subscription"], r["batch_key"]) for r in routed] == [
        ("emea", "orders", "dataExtension:key:Orders"),
        ("us", "orders", "dataExtension:key:orders"),
    ]


def test_send_stores_each_destinations_jobs_and_status_and_dead_letters_filter_by_destination(
    both_match: Path, tmp_path: Path
) -> None:
    two = both_match
    database = f"sqlite:///{tmp_path}/store.db"
    good = '{"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1"}\n'
    result = runner.invoke(app, ["send", "-c", str(two), "--database", database, "-"], input=good)
    assert result.exit_code == 0, result.stderr
    report = json.loads(runner.invoke(app, ["status", "--database", database, "--json"]).stdout)
    rows = {(r["destination"], r["subscription"]): r["pending"] for r in report["queue"]}
    assert rows == {("emea", "orders"): 1, ("us", "orders"): 1}
    waiting = {(r["destination"], r["subscription"]): r["waiting"] for r in report["subscriptions"]}
    assert waiting == {("emea", "orders"): 1, ("us", "orders"): 1}
    table = runner.invoke(app, ["status", "--database", database]).stdout
    assert "destination" in table and "emea" in table and "us" in table
    only_us = json.loads(runner.invoke(app, ["status", "--database", database, "--json", "-d", "us"]).stdout)
    assert [(r["destination"], r["pending"]) for r in only_us["queue"]] == [("us", 1)]
    assert [(r["destination"], r["waiting"]) for r in only_us["subscriptions"]] == [("us", 1)]
    listed = runner.invoke(app, ["dead-letters", "list", "--database", database, "--destination", "us", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
    unknown = runner.invoke(app, ["dead-letters", "replay", "-c", str(two), "--database", database, "-d", "eu"])
    assert unknown.exit_code == 2 and "has no such destination" in " ".join(unknown.stderr.split())


def test_a_config_with_one_entry_in_destinations_is_served_like_the_top_level_form(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(TWO[: TWO.index("  - name: emea")] + TWO[TWO.index("  - name: us") :])
    event = '{"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1"}\n'
    result = runner.invoke(app, ["route", "-c", str(one), "-"], input=event)
    assert result.exit_code == 0, result.stderr
    routed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["subscription"], r["batch_key"]) for r in routed] == [("orders", "dataExtension:key:orders")]
