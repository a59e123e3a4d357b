"""The start-up banner and check-config say where the client secret goes (issue 11: they said "delivering to
the SFMC tenant" while the secret went to api_base_url's host)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from rich.console import Console

from sfmc_actions.cli.config_report import report_config
from sfmc_actions.cli.serve import secret_destination
from sfmc_actions.config import SfmcSettings


def settings(**more: object) -> SfmcSettings:
    return SfmcSettings(subdomain="mcabc", account_id="1", client_id="c", client_secret=SecretStr("s3cr3t"), **more)


def test_the_banner_names_the_token_url() -> None:
    assert secret_destination(settings()) == (
        "SFMC tenant mcabc (MID 1), client secret sent to https://mcabc.auth.marketingcloudapis.com/v2/token"
    )
    custom = secret_destination(settings(api_base_url="http://127.0.0.1:8787", allow_custom_api_host=True))
    assert custom == (
        "SFMC tenant mcabc (MID 1) through a custom API host, client secret sent to "
        "http://127.0.0.1:8787/v2/token (not SFMC)"
    )


def test_check_config_says_the_secret_goes_to_the_custom_host(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "settings: {subdomain: mcabc, account_id: 1, client_id: c, client_secret: s3cr3t,\n"
        "           api_base_url: 'https://proxy.example.com', allow_custom_api_host: true}\n"
    )
    out, err = Console(record=True, width=300), Console(record=True, width=300)
    assert report_config(path, out, err)
    assert "delivering to the SFMC tenant mcabc through proxy.example.com, not SFMC" in out.export_text()
    assert "the client secret and the events go to proxy.example.com" in err.export_text()
    assert "s3cr3t" not in out.export_text() + err.export_text()
