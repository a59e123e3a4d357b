"""Printing for every command: rich tables and text for people, `--json` for scripts, and `fail(...)`.

Exit codes: 0 done; 1 SFMC (or the emulator) refused or could not be reached, or the tested event would not be
delivered; 2 bad input (options, config file, spec file, event file, database URL).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console

from sfmc_actions.errors import ConfigError
from sfmc_actions.js.values import json_stringify, parse_json
from sfmc_actions.js.values import json_text as indented_json

# emoji=False: SFMC targets such as `key:Orders` contain `:key:`, which rich would turn into an emoji.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def fail_config(error: ConfigError, what: str, hint: str | None = None) -> NoReturn:
    """Every problem of a config or spec file, one `error:` line each, then the count; exit 2."""
    for problem in error.problems:
        err_console.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
    summary = f"{len(error.problems)} problem(s) in {what}" + (f"; {hint}" if hint else "")
    err_console.print(summary, style="bold red", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """Context for people (which tenant, what was skipped): stderr, so stdout stays clean for `--json`."""
    err_console.print(message, style="dim", highlight=False, soft_wrap=True)


def print_json(value: object) -> None:
    sys.stdout.write(json_text(value) + "\n")


def json_text(value: object) -> str:
    return indented_json(value, indent=True)  # lone surrogates in stored events come out escaped


def print_js_json(value: object) -> None:
    """As JavaScript prints it (JSON.stringify(value, null, 2)): key order, numbers, lone surrogates."""
    sys.stdout.write(json_stringify(value, indent="  ") + "\n")


def plain(text: str) -> None:
    """Text printed exactly (YAML snippets, request bodies): no markup, highlighting or wrapping."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def read_json(source: str, what: str) -> Any:
    """A JSON document from a file path or '-' (stdin), or a clear error and exit 2."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        fail(f"cannot read the {what} file {source}: {exc.strerror}")
    try:
        return parse_json(data)
    except orjson.JSONDecodeError as exc:
        fail(f"the {what} file {source} is not valid JSON: {exc}")


def yes_no(value: Any) -> str:
    return "yes" if value else ""


def duration(seconds: float | None) -> str:
    """`75` -> "1m15s", `7200` -> "2h00m", three days -> "3d00h"; "-" for None."""
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours < 48 else f"{hours // 24}d{hours % 24:02d}h"


def shorten(text: str, width: int) -> str:
    """One line of at most `width` characters (white space folded, an ellipsis where it was cut)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
