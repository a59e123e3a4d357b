"""`sfmc-actions import segment`: a Segment workspace's SFMC (Actions) destinations as our config file.

A thin shell over `sfmc_actions.segment_import`: read the exports, write the YAML (to --output, atomically,
or to stdout), list what was not converted and the environment variables to set, then print check-config's
report on the result. Everything but the YAML goes to stderr.

Exit codes: 0 written and the result checks out; 1 written, but check-config found problems in it (e.g. a
trigger Segment accepted that does not parse); 2 bad input (options, an export file): nothing written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sfmc_actions.cli.output import err_console, fail
from sfmc_actions.errors import SegmentExportError

if TYPE_CHECKING:
    from sfmc_actions.segment_import import ImportResult

app = typer.Typer(help="Import a setup from another tool into a config file.", no_args_is_help=True)

# Stands in (one value per variable: write keys must differ) for a variable the import introduced but that
# is not set yet, so that check-config checks the file's content instead of reporting every unset secret.
PLACEHOLDER_VALUE = "not-set-yet-{name}"


@app.command("segment")
def import_segment_command(
    destination: Annotated[
        list[Path],
        typer.Option(
            "--destination", metavar="DEST.json", help="GET /destinations/{id} answer (JSON); one per destination"
        ),
    ],
    subscriptions: Annotated[
        list[Path],
        typer.Option(
            "--subscriptions",
            metavar="SUBS.json",
            help="GET /destinations/{id}/subscriptions answer, after its --destination",
        ),
    ],
    sources: Annotated[
        Path | None,
        typer.Option("--sources", metavar="SOURCES.json", help="GET /sources answer: writes the sources: list"),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="CONFIG.yaml", help="config file to write (default: stdout)"),
    ] = None,
) -> None:
    """Convert Segment Public API exports of SFMC (Actions) destinations into a config, and check it."""
    from sfmc_actions.segment_import import import_segment

    if len(destination) != len(subscriptions):
        fail(
            f"give --destination and --subscriptions in pairs, in order: got {len(destination)} --destination and "
            f"{len(subscriptions)} --subscriptions"
        )
    try:
        result = import_segment(list(zip(destination, subscriptions, strict=True)), sources)
    except SegmentExportError as exc:
        fail(f"nothing written: {exc}")
    if output is None:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    else:
        try:
            write_atomically(output, result.text)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    _report(result, output)
    unset = [v.name for v in result.env_vars if v.name not in os.environ]
    environ = dict(os.environ) | {name: PLACEHOLDER_VALUE.format(name=name) for name in unset}
    from sfmc_actions.cli.config_report import report_config

    standing_in = f" (placeholder values for the {len(unset)} variable(s) not set yet)" if unset else ""
    err_console.print(
        f"\ncheck-config {output or '(stdout)'}{standing_in}:", style="bold", highlight=False, soft_wrap=True
    )
    checked = report_config(output or "<stdout>", err_console, err_console, text=result.text, environ=environ)
    raise typer.Exit(0 if checked else 1)


def _report(result: ImportResult, output: Path | None) -> None:
    where = output or "stdout"
    err_console.print(
        f"[green]wrote[/] {where}: {result.destinations} destination(s), {result.subscriptions} subscription(s), "
        f"{result.sources} source(s)",
        highlight=False,
        soft_wrap=True,
    )
    if result.skipped:
        err_console.print(f"\nnot converted ({len(result.skipped)}):", style="bold yellow", highlight=False)
        for skipped in result.skipped:
            err_console.print(f"  {skipped.what}: {skipped.reason}", highlight=False, soft_wrap=True, markup=False)
    for note in result.notes:
        err_console.print(f"note: {note}", highlight=False, soft_wrap=True, markup=False)
    if result.env_vars:
        err_console.print("\nset these environment variables before serve:", style="bold", highlight=False)
        width = max(len(v.name) for v in result.env_vars)
        for var in result.env_vars:
            err_console.print(f"  {var.name:<{width}}  {var.holds}", highlight=False, soft_wrap=True, markup=False)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the whole new one, never a part."""
    directory = path.parent if str(path.parent) else Path(".")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
