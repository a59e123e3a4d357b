"""The `sfmc-actions` command line. Each command is a thin shell over a stage or library."""

from __future__ import annotations

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


def main() -> None:
    app()
