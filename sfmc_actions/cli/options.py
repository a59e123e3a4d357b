"""The options commands share, as typer annotations, and their defaults. Kept free of heavy imports: the CLI
imports every command module at start-up to register it, and the bodies import what they need when they run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# The same file for serve, worker, send, status and dead-letters: they meet in one store.
DEFAULT_DATABASE = "sqlite:///./sfmc-actions.db"
DEFAULT_EMULATOR_URL = "http://127.0.0.1:8787"  # `sfmc-actions emulator`'s default port
COLUMN_SYNTAX = "NAME:TYPE[(LENGTH[,SCALE])][:pk][:required|:nullable]"
COLUMN_EXAMPLE = "--column 'Order_ID:Text(50):pk' --column 'Total:Decimal(18,2)' --column 'Email:EmailAddress'"

DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database",
        "-d",
        envvar="SFMC_ACTIONS_DATABASE",
        help="job store: sqlite:///path.db, a file path, or postgresql://user@host/db[?schema=name]",
    ),
]
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="config YAML file")]
CredentialsOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="config YAML file; the SFMC credentials come from its settings")
]
EmulatorOption = Annotated[
    str | None,
    typer.Option(
        "--emulator-url",
        help="when there are no credentials (no --config, or none in its settings): the running "
        f"`sfmc-actions emulator` to use, with its demo tenant (default {DEFAULT_EMULATOR_URL})",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of tables (for scripts)")]
