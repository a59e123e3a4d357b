"""`sfmc-actions check-config --remote CONFIG` against the emulator on a real socket: every mismatch between the
subscriptions and what they target, with subscription, line and fix; exit 1 when there are any, 0 when none; only
GET calls reach SFMC."""

from __future__ import annotations

from pathlib import Path

from sfmc_actions.emulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_SUBDOMAIN
from tests.integration.cli.conftest import QUICKSTART, Cli
from tests.integration.sfmc.conftest import Emulator

SUBSCRIPTIONS = """subscriptions:
  - name: orders
    action: dataExtension
    trigger: type = "track"
    mapping:
      key: Orders
      keys: {Order_ID: {"@path": "$.properties.order_id"}}
      values:
        Revenu: {"@path": "$.properties.revenue"}
        Currency: {"@literal": "EURO-DOLLARS-TOO-LONG"}
  - name: signups
    action: contactDataExtension
    trigger: type = "identify"
    mapping: {key: Signups, keys: {contactKey: {"@path": "$.userId"}}, values: {Plan: pro}}
  - name: welcome
    action: apiEvent
    trigger: type = "track"
    mapping: {eventDefinitionKey: APIEvent-welcome, contactKey: {"@path": "$.userId"}, data: {Colour: red}}
"""


def writes(emulator: Emulator) -> list[str]:
    """Every SFMC call that was not a GET (token requests aside): a remote check must make none."""
    return [f"{c['method']} {c['path']}" for c in emulator.api_calls() if c["method"] != "GET"]


def test_a_config_that_fits_its_tenant(cli: Cli, emulator: Emulator) -> None:
    checked = cli("check-config", "--remote", QUICKSTART, *cli.emulator_args)
    assert checked.exit_code == 0, checked.output
    assert f"ok {QUICKSTART}: no mismatch between its 7 subscription(s) and the emulator at" in checked.stdout
    assert "demo tenant; no SFMC credentials" in checked.stdout
    assert emulator.api_calls() and writes(emulator) == []  # it looked, and only looked
    assert emulator.token_requests() == 1


def test_every_mismatch_with_its_subscription_line_and_fix(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    config = cli.credentials_config(tmp_path, extra=SUBSCRIPTIONS)  # the demo tenant's credentials, in settings
    checked = cli("check-config", "--remote", config)
    assert checked.exit_code == 1, checked.output
    errors = [line for line in checked.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, checked.stderr
    text = checked.stderr
    # file:line, the YAML path, the subscription, what is wrong; then how to fix it
    assert (
        f"{config}:16: subscriptions[0].mapping.values.Revenu: subscription 'orders': column 'Revenu' does not "
        "exist in data extension" in text
    )
    assert "how to fix: did you mean 'Revenue'?" in text
    assert f"{config}:17: subscriptions[0].mapping.values.Currency: subscription 'orders': the literal value" in text
    assert f"{config}:21: subscriptions[1].mapping.key: subscription 'signups': no data extension with" in text
    assert "subscription 'welcome': column 'Colour' does not exist" in text
    assert f"4 problem(s) between {config} and SFMC tenant {DEMO_SUBDOMAIN} (MID {DEMO_ACCOUNT_ID})" in text
    assert writes(emulator) == []


def test_each_destination_against_its_own_tenant(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "two.yaml"
    settings = (
        f"{{subdomain: {DEMO_SUBDOMAIN}, account_id: '{DEMO_ACCOUNT_ID}', client_id: {DEMO_CLIENT_ID}, "
        f"client_secret: '${{DEMO_SECRET}}', api_base_url: {emulator.base_url}, "
        "allow_custom_api_host: true}"
    )
    config.write_text(
        "destinations:\n"
        "  - name: emea\n"
        f"    settings: {settings}\n"
        "    subscriptions:\n"
        "      - name: orders\n"
        "        action: dataExtension\n"
        "        trigger: type = 'track'\n"
        "        mapping: {key: Orders, keys: {Order_ID: x}}\n"
        "  - name: local\n"
        "    subscriptions:\n"
        "      - name: orders\n"
        "        action: dataExtension\n"
        "        trigger: type = 'track'\n"
        "        mapping: {key: Nope, keys: {Id: x}}\n"
    )
    checked = cli("check-config", "--remote", config, *cli.emulator_args)
    assert checked.exit_code == 1, checked.output
    assert f"ok {config} (destination emea): no mismatch" in checked.stdout
    assert f"{config}:14: destinations[1].subscriptions[0].mapping.key: subscription 'orders': no data extension" in (
        checked.stderr
    )
    assert "(destination local)" in checked.stderr and emulator.token_requests() == 2


def test_what_it_refuses(cli: Cli, emulator: Emulator, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("subscriptions:\n  - {name: x, action: nope}\n")
    local = cli("check-config", "--remote", broken, *cli.emulator_args)
    assert local.exit_code == 2 and "unknown action 'nope'" in local.stderr
    assert emulator.api_calls() == []  # a file that does not load is not checked against SFMC

    alone = cli("check-config", QUICKSTART, *cli.emulator_args)
    assert alone.exit_code == 2 and "--emulator-url goes with --remote" in alone.stderr
    with_credentials = cli("check-config", "--remote", cli.credentials_config(tmp_path), *cli.emulator_args)
    assert with_credentials.exit_code == 2 and "--emulator-url does not apply" in with_credentials.stderr

    down = cli("check-config", "--remote", QUICKSTART, "--emulator-url", "http://127.0.0.1:9")
    assert down.exit_code == 1 and "cannot reach the emulator at http://127.0.0.1:9" in down.stderr
