"""The config's `destinations:` list: several SFMC business units (or tenants) in one file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions.config import DEFAULT_DESTINATION, load_config
from sfmc_actions.config_yaml import escape_env
from sfmc_actions.errors import ConfigError
from sfmc_actions.service.load import load

TWO = """
sources:
  - {name: web, write_key: k1}
destinations:
  - name: emea
    settings:
      subdomain: mcemea
      account_id: 100000001
      client_id: emea-client
      client_secret: ${EMEA_SECRET}
    subscriptions:
      - name: contacts
        action: contact
      - name: orders
        action: dataExtension
        trigger: type = "track" and event = "Order Completed"
        mapping: {key: Orders, keys: {id: {"@path": "$.properties.order_id"}}, values: {}}
  - name: us
    settings:
      subdomain: mcus
      account_id: 100000002
      client_id: us-client
      client_secret: ${US_SECRET}
      api_base_url: https://mcus.rest.marketingcloudapis.com
    subscriptions:
      - name: orders
        action: dataExtension
        trigger: type = "track"
        mapping: {key: Orders, keys: {id: {"@path": "$.messageId"}}, values: {}}
"""
ENV = {"EMEA_SECRET": "emea-secret-value", "US_SECRET": "us-secret-value"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def problems_of(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=ENV if env is None else env)
    return "\n".join(str(p) for p in info.value.problems)


def test_each_destination_has_its_own_settings_and_subscriptions(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, TWO), environ=ENV)
    emea, us = config.destinations
    assert (emea.name, us.name) == ("emea", "us")
    assert emea.settings is not None and us.settings is not None
    assert (emea.settings.account_id, emea.settings.client_secret.get_secret_value()) == (
        "100000001",
        "emea-secret-value",
    )
    assert (us.settings.subdomain, us.settings.api_base_url) == ("mcus", "https://mcus.rest.marketingcloudapis.com")
    assert [s.name for s in emea.subscriptions] == ["contacts", "orders"]
    assert [s.name for s in us.subscriptions] == ["orders"]  # the same name in another destination is fine
    assert emea.path == ("destinations", 0) and "secret-value" not in repr(config)


def test_the_top_level_form_is_one_destination_named_default(tmp_path: Path) -> None:
    config = load_config("examples/quickstart.yaml", environ={})
    (only,) = config.destinations
    assert only.name == DEFAULT_DESTINATION == "default"
    assert only.path == () and only.settings is None and config.settings is None
    assert config.subscriptions is only.subscriptions


def test_one_entry_in_destinations_serves_like_the_top_level_form(tmp_path: Path) -> None:
    text = TWO[: TWO.index("  - name: us")]
    loaded = load(write(tmp_path, text), environ=ENV)
    assert loaded.config.settings is not None and loaded.config.settings.subdomain == "mcemea"
    assert [(s.destination, s.name) for s in loaded.subscriptions] == [("emea", "contacts"), ("emea", "orders")]


def test_several_destinations_load_and_single_destination_shorthands_refuse(tmp_path: Path) -> None:
    path = write(tmp_path, TWO)
    config = load_config(path, environ=ENV)
    with pytest.raises(ConfigError) as info:
        config.single_destination()
    (problem,) = info.value.problems
    assert problem.path == "destinations" and problem.line == 4
    assert "2 destinations ('emea', 'us')" in problem.message
    assert problem.hint is not None and "--destination" in problem.hint
    with pytest.raises(ConfigError, match="2 destinations"):
        _ = config.settings  # never one of them silently
    with pytest.raises(ConfigError, match="2 destinations"):
        _ = config.subscriptions
    loaded = load(path, environ=ENV)
    assert [(s.destination, s.name) for s in loaded.subscriptions] == [
        ("emea", "contacts"),
        ("emea", "orders"),
        ("us", "orders"),
    ]


def test_problems_inside_a_destination_name_its_path_and_line(tmp_path: Path) -> None:
    text = TWO.replace("client_id: us-client", "clientid: us-client").replace("name: us\n", "name: us west\n")
    joined = problems_of(write(tmp_path, text))
    assert "config.yaml:18: destinations[1].name: a destination name is 1 to 64 letters" in joined
    assert "config.yaml:22: destinations[1].settings.clientid: unknown key 'clientid'" in joined
    assert "did you mean 'client_id'?" in joined
    text = TWO.replace("subdomain: mcus", "subdomain: https://mcus.auth.marketingcloudapis.com/")
    joined = problems_of(write(tmp_path, text))
    assert "destinations[1].settings.subdomain: Invalid Salesforce Marketing Cloud subdomain." in joined
    assert "Did you mean 'mcus'?" in joined and "us-secret-value" not in joined
    (line,) = problems_of(write(tmp_path, TWO), {"EMEA_SECRET": "x"}).splitlines()[:1]
    assert "config.yaml:23: destinations[1].settings.client_secret: environment variable US_SECRET" in line


def test_subscription_names_are_unique_within_a_destination(tmp_path: Path) -> None:
    text = TWO.replace("      - name: contacts\n", "      - name: orders\n")
    joined = problems_of(write(tmp_path, text))
    assert "config.yaml:14: destinations[0].subscriptions[1].name: duplicate subscription name 'orders'" in joined
    assert "how to fix: give each subscription name once" in joined
    assert "destinations[1]" not in joined


def test_destination_names_are_unique_and_the_list_not_empty(tmp_path: Path) -> None:
    joined = problems_of(write(tmp_path, TWO.replace("name: us\n", "name: emea\n")))
    assert "config.yaml:18: destinations[1].name: duplicate destination name 'emea'" in joined
    joined = problems_of(write(tmp_path, "destinations: []\n"))
    assert "destinations: List should have at least 1 item" in joined


def test_the_two_forms_do_not_mix(tmp_path: Path) -> None:
    text = TWO + "subscriptions:\n  - {name: x, action: contact}\nsettings: {}\n"
    joined = problems_of(write(tmp_path, text))
    assert (
        "config.yaml:30: subscriptions: top-level 'subscriptions' cannot be used together with 'destinations'" in joined
    )
    assert "config.yaml:32: settings: top-level 'settings'" in joined
    assert "move 'settings' into an entry of destinations" in joined


def test_a_destination_without_credentials_delivers_to_the_emulator(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "destinations:\n  - name: local\n"), environ={})
    (local,) = config.destinations
    assert local.settings is None and local.subscriptions == []


def test_trigger_warnings_name_the_destination(tmp_path: Path) -> None:
    text = TWO.replace('trigger: type = "track"\n', "trigger: type = 'track'\n")
    loaded = load(write(tmp_path, text), environ=ENV)
    (warning,) = [w for w in loaded.warnings if "single quotes" in w or "'track'" in w]
    assert warning.startswith(f"{tmp_path / 'config.yaml'}:28: subscription 'orders' of destination 'us':")


def test_two_destinations_writing_one_data_extension_of_one_business_unit_warn(tmp_path: Path) -> None:
    same_mid = TWO.replace("account_id: 100000002", "account_id: 100000001")
    loaded = load(write(tmp_path, same_mid), environ=ENV)
    (warning,) = loaded.warnings
    assert warning.startswith(f"{tmp_path / 'config.yaml'}:17: subscriptions 'orders' of destination 'emea', ")
    assert "'orders' of destination 'us' all write to data extension key:Orders in business unit 100000001" in warning
    # Another business unit, another (or a dynamic) key, or a disabled subscription: no warning.
    assert load(write(tmp_path, TWO), environ=ENV).warnings == []
    other_key = same_mid.replace(
        'mapping: {key: Orders, keys: {id: {"@path": "$.messageId"}}',
        'mapping: {key: {"@path": "$.properties.de"}, keys: {id: {"@path": "$.messageId"}}',
    )
    assert load(write(tmp_path, other_key), environ=ENV).warnings == []
    disabled = same_mid.replace('trigger: type = "track"\n', 'trigger: type = "track"\n        enabled: false\n')
    assert load(write(tmp_path, disabled), environ=ENV).warnings == []


def test_v2_data_extension_ids_from_the_hook_are_compared_too(tmp_path: Path) -> None:
    def entry(name: str, action: str, de_id: str) -> str:
        mapping = f'{{onMappingSave: {{outputs: {{id: {de_id}}}}}, keys: {{k: {{"@path": "$.userId"}}}}}}'
        sub = f'{{name: s, action: {action}, trigger: type = "track", mapping: {mapping}}}'
        return f"  - name: {name}\n    subscriptions:\n      - {sub}\n"

    text = "destinations:\n" + entry("a", "dataExtensionV2", "DE-1") + entry("b", "asyncDataExtension", "de-1")
    loaded = load(write(tmp_path, text), environ={})
    (warning,) = loaded.warnings
    assert "data extension id:DE-1 in business unit the built-in emulator" in warning


def test_a_literal_dollar_brace_is_written_with_two_dollars(tmp_path: Path) -> None:
    text = "subscriptions:\n  - name: s\n    action: contact\n"
    text += "    mapping: {contactKey: {'@template': 'x $${HOME} ${X} $$${Y}'}}\n"
    config = load_config(write(tmp_path, text), environ={"X": "1", "Y": "2", "HOME": "/root"})
    assert config.subscriptions[0].mapping["contactKey"]["@template"] == "x ${HOME} 1 $${Y}"
    for original in ("${HOME}", "a ${B:-c} $${D}", "$ {x} ${not a name}", "plain"):
        escaped = escape_env(original)
        loaded = load_config(write(tmp_path, f"sources: [{{name: n, write_key: '{escaped}'}}]\n"), environ={"B": "b"})
        assert loaded.sources[0].write_key == original
