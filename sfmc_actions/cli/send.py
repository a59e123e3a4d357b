"""`sfmc-actions send`: a file into the store, with a rich progress bar, the bad lines and a summary table."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sfmc_actions.cli.options import DEFAULT_DATABASE, ConfigOption, DatabaseOption
from sfmc_actions.cli.output import console, err_console, fail
from sfmc_actions.cli.resources import load_router
from sfmc_actions.errors import SfmcActionsError, StoreError

if TYPE_CHECKING:
    from sfmc_actions.ingest.files import SendTotals
    from sfmc_actions.ingest.service import EventRouter, IngestResult

MAX_SHOWN = 100  # bad lines printed one by one; past that only counted (all are stored as rejected)
LABELS = {
    "lines": "events read",
    "accepted": "accepted events",
    "jobs": "jobs stored",
    "dead": "  of which dead (mapping or payload invalid)",
    "unmatched": "unmatched events (no subscription)",
    "rejected": "rejected lines (kept in the store)",
    "duplicates": "duplicate journey entries skipped",
}


class SendFailed(SfmcActionsError):
    """The file or the store cannot be used: the message says which and how to fix it."""


def send(
    config: ConfigOption,
    events: Annotated[str, typer.Argument(help="NDJSON file of Segment events, or - for stdin")] = "-",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Route events from an NDJSON file (backfill, replay) straight into the job store; bad lines are kept."""
    loaded, router = load_router(config)
    try:
        run_send(events, router, database, console, err_console, dedupe_window=loaded.config.delivery.dedupe_window)
    except SendFailed as exc:
        fail(str(exc))


def run_send(
    source: str,
    router: EventRouter,
    database: str,
    console: Console,
    err_console: Console,
    *,
    dedupe_window: float = 24 * 3600.0,
    chunk_size: int | None = None,
) -> SendTotals:
    """Send `source` (a path, or '-' for stdin) into the store at `database`; raises SendFailed."""
    from sfmc_actions.ingest.files import CHUNK_SIZE

    chunk_size = chunk_size or CHUNK_SIZE
    if source == "-":
        return asyncio.run(
            _send(sys.stdin.buffer, "stdin", None, router, database, console, err_console, dedupe_window, chunk_size)
        )
    path = Path(source)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise SendFailed(f"cannot read {source}: {exc.strerror}") from None
    with stream:
        size = path.stat().st_size if path.is_file() else None
        return asyncio.run(
            _send(stream, source, size, router, database, console, err_console, dedupe_window, chunk_size)
        )


async def _send(
    stream: BinaryIO,
    name: str,
    size: int | None,
    router: EventRouter,
    database: str,
    console: Console,
    err_console: Console,
    dedupe_window: float,
    chunk_size: int,
) -> SendTotals:
    from sfmc_actions.ingest.files import describe, numbered_lines, send_lines
    from sfmc_actions.ingest.service import Ingest
    from sfmc_actions.queue import open_store, redact_url

    try:
        store = await open_store(database, dedupe_window=dedupe_window)
    except StoreError as exc:
        raise SendFailed(str(exc)) from None
    except OSError as exc:
        raise SendFailed(f"cannot open the store {redact_url(database)}: {exc}") from None
    shown = 0
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[events]} events"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    try:
        with progress:
            task = progress.add_task(f"sending {name}", total=size, events=0)

            def on_chunk(result: IngestResult, consumed: int) -> None:
                nonlocal shown
                for problem in result.problems:
                    if shown < MAX_SHOWN:
                        progress.console.print(
                            f"[red]rejected[/] {escape(describe(problem, name))}", highlight=False, soft_wrap=True
                        )
                    shown += 1
                events = progress.tasks[task].fields["events"] + result.events
                progress.update(task, completed=consumed, events=events)

            totals = await send_lines(
                Ingest(router, store), numbered_lines(stream), chunk_size=chunk_size, on_chunk=on_chunk, origin=name
            )
    finally:
        await store.close()
    if shown > MAX_SHOWN:
        err_console.print(
            f"[red]… and {shown - MAX_SHOWN} more rejected line(s)[/], all kept in the store as "
            "rejected (list them with `sfmc-actions dead-letters list`)",
            highlight=False,
        )
    console.print(summary_table(name, redact_url(database), totals))
    return totals


def summary_table(name: str, database: str, totals: SendTotals) -> Table:
    table = Table(title=f"{name} → {database}", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in totals.as_dict().items():
        style = "red" if key in ("rejected", "dead") and value else None
        table.add_row(LABELS[key], f"{value:,}", style=style)
    return table
