"""Printing for the SFMC commands: rich tables and text for people, `--json` for scripts.

Exit codes: 0 done; 1 SFMC (or the emulator) refused or could not be reached, or the tested event would not be
delivered; 2 bad input (options, config file, spec file, event file).
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from sfmc_actions.errors import ConfigError
from sfmc_actions.jsvalues import json_text as indented_json

# emoji=False: SFMC targets such as `key:Orders` contain `:key:`, which rich would turn into an emoji.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def fail_config(error: ConfigError, what: str) -> NoReturn:
    for problem in error.problems:
        err_console.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
    err_console.print(f"{len(error.problems)} problem(s) in {what}", style="bold red", highlight=False)
    raise typer.Exit(2)


def note(message: str) -> None:
    """Context for people (which tenant, what was skipped): stderr, so stdout stays clean for `--json`."""
    err_console.print(message, style="dim", highlight=False, soft_wrap=True)


def print_json(value: object) -> None:
    sys.stdout.write(json_text(value) + "\n")


def json_text(value: object) -> str:
    return indented_json(value, indent=True)  # lone surrogates in stored events come out escaped


def plain(text: str) -> None:
    """Text printed exactly (YAML snippets, request bodies): no markup, highlighting or wrapping."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def yes_no(value: Any) -> str:
    return "yes" if value else ""
