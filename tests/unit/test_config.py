from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions.config import load_config
from sfmc_actions.errors import ConfigError

SETTINGS = """
settings:
  subdomain: mcabc123
  account_id: 100000001
  client_id: the-client
  client_secret: ${SFMC_SECRET}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def problems_of(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=env or {})
    return [str(p) for p in info.value.problems]


def test_quickstart_loads_without_credentials() -> None:
    config = load_config("examples/quickstart.yaml", environ={})
    assert config.settings is None  # no credentials: the emulator stands in
    assert [s.name for s in config.subscriptions][:2] == ["create-contact", "customers-de"]
    assert {s.write_key for s in config.sources} == {"quickstart-website-key", "quickstart-ios-key"}


def test_settings_interpolate_env_and_hide_the_secret(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SETTINGS), environ={"SFMC_SECRET": "s3cr3t-value"})
    assert config.settings is not None
    assert config.settings.account_id == "100000001"  # YAML int kept as the MID text
    assert config.settings.client_secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(config) and "s3cr3t-value" not in str(config.settings)


def test_env_default_and_missing_env(tmp_path: Path) -> None:
    text = SETTINGS.replace("${SFMC_SECRET}", "${SFMC_SECRET:-fallback}")
    config = load_config(write(tmp_path, text), environ={})
    assert config.settings is not None and config.settings.client_secret.get_secret_value() == "fallback"
    (problem,) = problems_of(write(tmp_path, SETTINGS))
    assert "settings.client_secret: environment variable SFMC_SECRET is not set" in problem
    assert problem.startswith(f"{tmp_path / 'config.yaml'}:6: ")
    assert "export SFMC_SECRET" in problem


def test_bad_subdomain_names_the_fix_and_never_echoes_the_secret(tmp_path: Path) -> None:
    text = SETTINGS.replace("mcabc123", "https://mcxyz.auth.marketingcloudapis.com/")
    (problem,) = problems_of(write(tmp_path, text), {"SFMC_SECRET": "top-secret-1"})
    assert "settings.subdomain: Invalid Salesforce Marketing Cloud subdomain." in problem
    assert "Did you mean 'mcxyz'?" in problem
    assert "Installed Packages" in problem
    assert "top-secret-1" not in problem


def test_every_problem_is_reported_with_line_and_hint(tmp_path: Path) -> None:
    text = """sources:
  - name: web
    write_key: k1
  - name: web
    write_key: k1
subscriptons: []
subscriptions:
  - name: a
    action: contact
    enabeld: false
  - name: a
    action: contact
"""
    problems = problems_of(write(tmp_path, text))
    joined = "\n".join(problems)
    assert "config.yaml:6: subscriptons: unknown key 'subscriptons'" in joined
    assert "did you mean 'subscriptions'?" in joined
    assert "config.yaml:10: subscriptions[0].enabeld: unknown key 'enabeld'" in joined
    assert "did you mean 'enabled'?" in joined


def test_duplicates_are_reported_without_echoing_write_keys(tmp_path: Path) -> None:
    text = """sources:
  - {name: web, write_key: secret-write-key}
  - {name: web, write_key: secret-write-key}
subscriptions:
  - {name: a, action: contact}
  - {name: a, action: contact}
"""
    joined = "\n".join(problems_of(write(tmp_path, text)))
    assert "sources[1].name: duplicate source name 'web'" in joined
    assert "sources[1].write_key: duplicate write_key" in joined
    assert "subscriptions[1].name: duplicate subscription name 'a'" in joined
    assert "secret-write-key" not in joined


def test_partial_settings_are_an_error(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "settings:\n  subdomain: mcabc\n  client_id: x\n"))
    assert any("settings.account_id: this key is required" in p for p in problems)
    assert any("settings.client_secret: this key is required" in p for p in problems)


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nope.yaml")
    assert "cannot read the file" in problem
    (problem,) = problems_of(write(tmp_path, "subscriptions:\n  - name: [a\n"))
    assert "not valid YAML" in problem and "config.yaml:" in problem


def test_api_base_url_must_be_http(tmp_path: Path) -> None:
    text = SETTINGS + "  api_base_url: ftp://x\n"
    (problem,) = problems_of(write(tmp_path, text), {"SFMC_SECRET": "x"})
    assert "settings.api_base_url: must be an http:// or https:// URL" in problem


def test_webhook_and_delivery_sections(tmp_path: Path) -> None:
    text = "webhook:\n  shared_secret: ${HOOK}\ndelivery:\n  flush_interval: 0.5\n  max_attempts: 3\n"
    config = load_config(write(tmp_path, text), environ={"HOOK": "hook-secret"})
    assert config.webhook is not None and config.webhook.shared_secret.get_secret_value() == "hook-secret"
    assert config.delivery.flush_interval == 0.5 and config.delivery.max_age == 4 * 3600
    (problem,) = problems_of(write(tmp_path, "delivery:\n  flush_intervall: 2\n"))
    assert "did you mean 'flush_interval'?" in problem


def test_delivery_lease_and_in_doubt_policy(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "delivery:\n  lease_seconds: 20\n"))
    assert (config.delivery.lease_seconds, config.delivery.in_doubt) == (20, "hold")  # hold by default
    assert load_config(write(tmp_path, "delivery:\n  in_doubt: resend\n")).delivery.in_doubt == "resend"
    problems = problems_of(write(tmp_path, "delivery:\n  in_doubt: maybe\n  lease_seconds: 1\n"))
    assert any("delivery.in_doubt: Input should be 'hold' or 'resend'" in p for p in problems)
    assert any("delivery.lease_seconds: Input should be greater than or equal to 5" in p for p in problems)


def test_delivery_in_doubt_settle_reaches_the_workers(tmp_path: Path) -> None:
    from sfmc_actions.deliver import WorkerOptions

    assert load_config(write(tmp_path, "delivery: {}\n")).delivery.in_doubt_settle == 60  # SFMC's lag is unknown
    config = load_config(write(tmp_path, "delivery:\n  in_doubt_settle: 5\n"))
    assert WorkerOptions.from_delivery(config.delivery).in_doubt_settle == 5
    (problem,) = problems_of(write(tmp_path, "delivery:\n  in_doubt_settle: -1\n"))
    assert "delivery.in_doubt_settle: Input should be greater than or equal to 0" in problem
