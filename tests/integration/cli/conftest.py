"""The CLI's SFMC commands, run in-process with typer's CliRunner against the emulator on a real socket.

The emulator is seeded with examples/emulator-seed.yaml (the demo tenant and the quick start's data extensions), so
the quick-start config works with `--emulator-url` exactly as a user would run it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from sfmc_actions.cli import app
from sfmc_actions.emulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_SUBDOMAIN, EmulatorServer, create_app
from tests.integration.sfmc.conftest import Emulator

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"
SEED = ROOT / "examples" / "emulator-seed.yaml"
FAST_ASYNC = {"async_not_visible_seconds": 0.05, "async_pending_seconds": 0.02, "async_executing_seconds": 0.02}


@dataclass
class Cli:
    """Runs `sfmc-actions ...` in this process; `emulator_args` point a command at the test emulator."""

    emulator: Emulator

    @property
    def emulator_args(self) -> list[str]:
        return ["--emulator-url", self.emulator.base_url]

    def __call__(self, *args: str | Path, stdin: str | None = None) -> Result:
        return CliRunner().invoke(app, [str(a) for a in args], input=stdin)

    def credentials_config(self, tmp_path: Path, secret: str = "${DEMO_SECRET}", extra: str = "") -> Path:
        """A config with SFMC settings (the demo tenant's) pointing at the emulator through api_base_url."""
        path = tmp_path / "with-credentials.yaml"
        path.write_text(
            "settings:\n"
            f"  subdomain: {DEMO_SUBDOMAIN}\n"
            f"  account_id: {DEMO_ACCOUNT_ID}\n"
            f"  client_id: {DEMO_CLIENT_ID}\n"
            f"  client_secret: '{secret}'\n"
            f"  api_base_url: {self.emulator.base_url}\n"
            "  allow_custom_api_host: true\n" + extra,
            encoding="utf-8",
        )
        return path


@pytest.fixture(scope="package")
def emulator_url() -> Iterator[str]:
    with EmulatorServer(create_app(SEED, options=FAST_ASYNC)) as base_url:
        yield base_url


@pytest.fixture
def emulator(emulator_url: str) -> Iterator[Emulator]:
    emulator = Emulator(emulator_url)
    emulator.reset()
    emulator.http.delete("/journal").raise_for_status()
    yield emulator
    emulator.http.close()


@pytest.fixture
def cli(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("DEMO_SECRET", "demo-client-secret")
    monkeypatch.setenv("COLUMNS", "200")  # rich tables at a fixed, wide size: ids and names stay whole
    return Cli(emulator)
