"""`sfmc-actions emulator`: start-up checks, the banner (tenant, base URL, inspection URL), serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sfmc_actions.cli.output import console, fail
from sfmc_actions.errors import SfmcActionsError


class EmulatorStartError(SfmcActionsError):
    """The emulator cannot start: bad seed, faults or state file (the message says which)."""


def emulator(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0 picks a free one)")] = 8787,
    seed: Annotated[Path | None, typer.Option(help="seed YAML: tenants, data extensions, journeys")] = None,
    faults: Annotated[Path | None, typer.Option(help="fault rules YAML")] = None,
    state: Annotated[Path | None, typer.Option(help="SQLite file that keeps the state across restarts")] = None,
) -> None:
    """Run the local SFMC emulator (auth, REST and SOAP on one port; inspection API under /__emulator/)."""
    try:
        run_cli(host, port, seed, faults, state, console)
    except EmulatorStartError as exc:
        fail(str(exc))


def run_cli(host: str, port: int, seed: Path | None, faults: Path | None, state: Path | None, console: Console) -> None:
    from sfmc_actions.emulator.app import create_app
    from sfmc_actions.emulator.faults import FaultConfigError
    from sfmc_actions.emulator.persist import StateFileError
    from sfmc_actions.emulator.seed import DEMO_CLIENT_ID, SeedError
    from sfmc_actions.emulator.server import serve_forever

    try:
        app = create_app(seed, faults, state_file=state)
    except (SeedError, FaultConfigError, StateFileError, ValueError) as exc:
        raise EmulatorStartError(str(exc)) from None
    emulator = app.state.emulator

    def banner(base_url: str) -> None:
        console.print(f"[bold green]SFMC emulator[/] listening on [bold]{base_url}[/]", highlight=False)
        for tenant in emulator.state.tenants.values():
            for package in tenant.packages.values():
                # The secret is shown only for the published demo package; seeded secrets stay hidden.
                secret = package.client_secret if package.client_id == DEMO_CLIENT_ID else "(from the seed)"
                console.print(
                    f"  subdomain      {tenant.subdomain}\n  account_id     {package.mid}\n"
                    f"  client_id      {package.client_id}\n  client_secret  {secret}",
                    highlight=False,
                    soft_wrap=True,
                )
        console.print(
            f"token URL        {base_url}/v2/token  (REST and SOAP share this base URL)",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"inspection API   {base_url}/__emulator/", highlight=False, soft_wrap=True)
        if faults is not None:
            console.print(f"fault rules      {len(emulator.faults.rules)} from {faults}", highlight=False)
        if state is not None:
            console.print(f"state file       {state} (survives restarts)", highlight=False)
        console.print("Press Ctrl+C to stop.", style="dim")

    try:
        serve_forever(app, host, port, on_ready=banner)
    except OSError as exc:
        raise EmulatorStartError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
