"""`check-config --remote` as a library call: every mismatch between subscriptions and SFMC, read-only."""

from __future__ import annotations

from pathlib import Path

from sfmc_actions.config import load_config
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.remote_check import remote_problems
from tests.integration.sfmc.conftest import EVENTS_ID, Emulator

CONFIG = f"""subscriptions:
  - name: orders-ok
    action: dataExtension
    trigger: type = "track"
    mapping:
      key: Orders
      keys: {{Order_ID: {{"@path": "$.properties.order_id"}}}}
      values: {{email: {{"@path": "$.context.traits.email"}}, Note: {{"@literal": "web"}}}}
  - name: no-such-de
    action: dataExtension
    trigger: type = "track"
    mapping: {{key: Orderz, keys: {{Order_ID: x}}}}
  - name: wrong-keys
    action: dataExtension
    trigger: type = "track"
    mapping:
      key: Orders
      keys: {{Email: {{"@path": "$.userId"}}}}
      values:
        Emial: {{"@path": "$.context.traits.email"}}
        Note: this literal is far too long for the column
        Revenue: lots
  - name: events-v2
    action: dataExtensionV2
    trigger: type = "track"
    mapping:
      onMappingSave: {{outputs: {{id: {EVENTS_ID}}}}}
      keys: {{Message_ID: {{"@path": "$.messageId"}}}}
      values: {{Amount: {{"@path": "$.properties.amount"}}}}
  - name: dynamic-target
    action: dataExtension
    trigger: type = "track"
    mapping: {{key: {{"@path": "$.properties.de"}}, keys: {{Whatever: x}}}}
  - name: welcome
    action: apiEvent
    trigger: type = "track"
    mapping: {{eventDefinitionKey: APIEvent-welcome, contactKey: x, data: {{Plan: pro, Color: red}}}}
  - name: nope-event
    action: apiEvent
    trigger: type = "track"
    mapping: {{eventDefinitionKey: APIEvent-nope, contactKey: x}}
  - name: contacts
    action: contact
    mapping: {{contactKey: x}}
"""


async def test_every_mismatch_with_its_subscription_line_and_fix(
    tmp_path: Path, client: SfmcClient, emulator: Emulator
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    config = load_config(path)
    problems = await remote_problems(config, client)
    found = {(p.path, p.line): (p.message, p.hint) for p in problems}
    expected_paths = [
        ("subscriptions[1].mapping.key", 12),
        ("subscriptions[2].mapping.keys", 18),
        ("subscriptions[2].mapping.values.Emial", 20),
        ("subscriptions[2].mapping.values.Note", 21),
        ("subscriptions[2].mapping.values.Revenue", 22),
        ("subscriptions[3].mapping.values", 29),
        ("subscriptions[5].mapping.data.Color", 37),
        ("subscriptions[6].mapping.eventDefinitionKey", 41),
    ]
    assert sorted(found) == sorted(expected_paths)
    assert all(str(path) == p.file for p in problems)
    message, hint = found[("subscriptions[1].mapping.key", 12)]
    assert message == "subscription 'no-such-de': no data extension with external key 'Orderz' in this business unit"
    message, hint = found[("subscriptions[2].mapping.keys", 18)]
    assert "keys name Email, but the primary key of data extension Orders is Order_ID" in message
    assert hint == "make keys name exactly the primary key columns: Order_ID"
    assert found[("subscriptions[2].mapping.values.Emial", 20)][1] == "did you mean 'Email'?"
    message, _ = found[("subscriptions[2].mapping.values.Note", 21)]
    assert "cannot be stored in column Note (Text, length 20)" in message and "[Note] is too long" in message
    assert "[Revenue] is not a valid decimal number." in found[("subscriptions[2].mapping.values.Revenue", 22)][0]
    message, hint = found[("subscriptions[3].mapping.values", 29)]
    assert "column Event of data extension" in message and "cannot be null and has no default" in message
    assert hint == "map Event in values, or give the column a default value in SFMC"
    assert "'Color' does not exist in data extension" in found[("subscriptions[5].mapping.data.Color", 37)][0]
    assert "APIEvent-nope" in found[("subscriptions[6].mapping.eventDefinitionKey", 41)][0]
    assert str(problems[0]).startswith(f"{path}:12: subscriptions[1].mapping.key: subscription 'no-such-de': ")
    calls = emulator.api_calls()
    assert calls and {c["method"] for c in calls} == {"GET"}  # read-only: nothing is written to SFMC


async def test_a_config_that_fits_has_no_problems(tmp_path: Path, client: SfmcClient) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(CONFIG.splitlines()[:8]) + "\n")
    assert await remote_problems(load_config(path), client) == []


async def test_without_read_permission_the_problem_says_so(
    tmp_path: Path, client: SfmcClient, emulator: Emulator
) -> None:
    emulator.faults({"fault": "blocked", "route": "customobjects"})
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(CONFIG.splitlines()[:8]) + "\n")
    (problem,) = await remote_problems(load_config(path), client)
    assert problem.path == "subscriptions[0]" and "cannot read it from SFMC" in problem.message
    assert problem.hint is not None and "Installed Packages" in problem.hint
