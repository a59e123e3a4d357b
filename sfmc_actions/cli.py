"""The `sfmc-actions` command line. Each command is a thin shell over a stage or library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sfmc_actions import __version__

app = typer.Typer(
    name="sfmc-actions",
    help="Deliver Segment-spec customer events into Salesforce Marketing Cloud.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Deliver Segment-spec customer events into Salesforce Marketing Cloud."""


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"sfmc-actions {__version__}")


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0 picks a free one)")] = 8787,
    seed: Annotated[Path | None, typer.Option(help="seed YAML: tenants, data extensions, journeys")] = None,
    faults: Annotated[Path | None, typer.Option(help="fault rules YAML")] = None,
    state: Annotated[Path | None, typer.Option(help="SQLite file that keeps the state across restarts")] = None,
) -> None:
    """Run the local SFMC emulator (auth, REST and SOAP on one port; inspection API under /__emulator/)."""
    from sfmc_actions.emulator.console import EmulatorStartError, run_cli

    try:
        run_cli(host, port, seed, faults, state, console)
    except EmulatorStartError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def main() -> None:
    app()
