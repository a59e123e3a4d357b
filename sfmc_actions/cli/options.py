"""The options the SFMC commands share, as typer annotations. Kept free of heavy imports: `cli.py` imports the
command modules at start-up to register them, and their bodies import the SFMC client only when they run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_EMULATOR_URL = "http://127.0.0.1:8787"  # `sfmc-actions emulator`'s default port
COLUMN_SYNTAX = "NAME:TYPE[(LENGTH[,SCALE])][:pk][:required|:nullable]"
COLUMN_EXAMPLE = "--column 'Order_ID:Text(50):pk' --column 'Total:Decimal(18,2)' --column 'Email:EmailAddress'"

ConfigOption = Annotated[
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
