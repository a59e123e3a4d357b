"""`settings.api_base_url` (issue 11): the client secret goes to that host, so plain http only for loopback, and
a host outside SFMC's domain only when `allow_custom_api_host: true` says so, with a warning naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions.config import load_config
from sfmc_actions.errors import ConfigError
from sfmc_actions.service.load import load

SETTINGS = """
settings:
  subdomain: mcabc123
  account_id: 100000001
  client_id: the-client
  client_secret: s3cr3t-value
"""


def config_with(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(SETTINGS + "".join(f"  {line}\n" for line in lines))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254",  # the cloud metadata address of the issue
        "http://10.0.0.7:8787",
        "http://mcabc123.auth.marketingcloudapis.com",  # SFMC's own host, yet plain http
        "http://emulator.internal",
    ],
)
def test_plain_http_is_refused_off_loopback_even_when_allowed(tmp_path: Path, url: str) -> None:
    (problem,) = problems(config_with(tmp_path, f"api_base_url: {url}", "allow_custom_api_host: true"))
    assert "settings.api_base_url: plain http to" in problem and "unencrypted" in problem
    assert "use https://, or http:// only for a loopback address" in problem
    assert "s3cr3t-value" not in problem


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787", "https://proxy.example.com"]
)
def test_a_custom_host_needs_allow_custom_api_host(tmp_path: Path, url: str) -> None:
    (problem,) = problems(config_with(tmp_path, f"api_base_url: {url}"))
    assert "is not an SFMC host (*.marketingcloudapis.com): the client secret would be sent there" in problem
    assert "add `allow_custom_api_host: true`" in problem
    loaded = load(config_with(tmp_path, f"api_base_url: {url}", "allow_custom_api_host: true"), environ={})
    host = url.split("//")[1].rsplit(":", 1)[0].strip("[]") if "[" not in url else "::1"
    (warning,) = [w for w in loaded.warnings if "api_base_url" in w]
    assert f"the client secret and the events go to {host}, not to SFMC" in warning


def test_sfmc_hosts_over_https_need_nothing(tmp_path: Path) -> None:
    loaded = load(config_with(tmp_path, "api_base_url: https://mcabc123.rest.marketingcloudapis.com"), environ={})
    assert loaded.config.settings is not None and not [w for w in loaded.warnings if "api_base_url" in w]


def test_credentials_in_the_url_are_refused(tmp_path: Path) -> None:
    text = "api_base_url: https://user:pw@mcabc123.rest.marketingcloudapis.com"
    (problem,) = problems(config_with(tmp_path, text))
    assert "must not hold a user name or password" in problem and "pw@" not in problem


def test_every_destination_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "destinations:\n"
        "  - name: a\n"
        "    settings: {subdomain: mca, account_id: 1, client_id: c, client_secret: s,\n"
        "               api_base_url: 'https://a.example.com', allow_custom_api_host: true}\n"
        "  - name: b\n"
        "    settings: {subdomain: mcb, account_id: 2, client_id: c, client_secret: s,\n"
        "               api_base_url: 'http://169.254.169.254'}\n"
    )
    (problem,) = problems(path)
    assert "destinations[1].settings.api_base_url: plain http to 169.254.169.254" in problem
