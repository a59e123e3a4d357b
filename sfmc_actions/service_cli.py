"""The service commands of `sfmc-actions`: serve, worker, status and dead-letters (registered in cli.py).

Each is a thin shell: options, then `service.run_service` or a few store calls, then a rich table or JSON.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from sfmc_actions.errors import ConfigError, StoreError
from sfmc_actions.jsvalues import json_text

if TYPE_CHECKING:
    from sfmc_actions.queue import JobStore
    from sfmc_actions.service import ServiceOptions

T = TypeVar("T")
# The same file `send` writes by default: serve, worker, send, status and dead-letters meet in one store.
DEFAULT_DATABASE = "sqlite:///./sfmc-actions.db"
console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("sfmc_actions.service")

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
LogFormat = Annotated[str, typer.Option("--log-format", help="text or json")]
LogLevel = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error")]
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def report_config_problems(exc: ConfigError, config: Path) -> NoReturn:
    for problem in exc.problems:
        err_console.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
    fail(f"{len(exc.problems)} problem(s) in {config}; fix them (see `sfmc-actions check-config {config}`)")


def _logging(level: str, fmt: str) -> None:
    from sfmc_actions.observe.logging import configure_logging

    if fmt not in ("text", "json"):
        fail(f"--log-format {fmt!r}: use text or json")
    try:
        configure_logging(level, json=fmt == "json")
    except ValueError:
        fail(f"--log-level {level!r}: use debug, info, warning or error")


def _run_service(options: ServiceOptions, serve_http: bool) -> None:
    from sfmc_actions.admin_views import emulator_banner
    from sfmc_actions.service import Started, StartError, run_service

    def started(info: Started) -> None:
        loaded = info.loaded
        if info.emulator_url is not None and serve_http:
            err_console.print(emulator_banner(str(options.config), info.emulator_url))
            log.warning(
                "no SFMC credentials: delivering to the built-in SFMC emulator at %s (inspection API %s/__emulator/)",
                info.emulator_url,
                info.emulator_url,
            )
        target = loaded.config.settings.subdomain if loaded.config.settings else f"emulator {info.emulator_url}"
        worker = info.worker
        what = f"ingest API on {info.url}, " if info.url else ""
        err_console.print(
            f"[bold green]sfmc-actions[/] {what}{len(loaded.subscriptions)} subscription(s) delivering to "
            f"{target}; store {info.database}; {worker.options.concurrency if worker else 0} worker task(s)"
            + (f"; metrics at {info.url}/metrics" if info.url else "")
            + ". Ctrl+C to stop.",
            highlight=False,
            soft_wrap=True,
        )
        for warning in loaded.warnings:
            log.warning(warning)

    try:
        asyncio.run(run_service(options, serve_http=serve_http, on_started=started))
    except ConfigError as exc:
        report_config_problems(exc, options.config)
    except (StoreError, StartError) as exc:
        fail(str(exc))


def serve(
    config: ConfigOption,
    host: Annotated[str, typer.Option(help="interface the ingest API listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port of the ingest API and /metrics (0: a free one)")] = 8088,
    database: DatabaseOption = DEFAULT_DATABASE,
    emulator_seed: Annotated[
        Path | None, typer.Option(help="seed of the built-in emulator (default: emulator-seed.yaml beside the config)")
    ] = None,
    emulator_port: Annotated[int, typer.Option(help="port of the built-in emulator (taken: a free one)")] = 8787,
    log_format: LogFormat = "text",
    log_level: LogLevel = "info",
) -> None:
    """Run the ingest API and the delivery workers in one process (the built-in emulator without credentials)."""
    from sfmc_actions.service import ServiceOptions

    _logging(log_level, log_format)
    options = ServiceOptions(config, database, host, port, emulator_seed=emulator_seed, emulator_port=emulator_port)
    _run_service(options, serve_http=True)


def worker(
    config: ConfigOption,
    database: DatabaseOption = DEFAULT_DATABASE,
    emulator_url: Annotated[
        str | None, typer.Option(help="without SFMC credentials: the URL of the emulator a `serve` runs")
    ] = None,
    metrics_port: Annotated[int | None, typer.Option(help="serve /metrics and /healthz on this port")] = None,
    host: Annotated[str, typer.Option(help="interface for --metrics-port")] = "127.0.0.1",
    log_format: LogFormat = "text",
    log_level: LogLevel = "info",
) -> None:
    """Run delivery workers only, to scale out: any number of them share the store with `serve`."""
    from sfmc_actions.service import ServiceOptions

    _logging(log_level, log_format)
    options = ServiceOptions(config, database, host, emulator_url=emulator_url, metrics_port=metrics_port)
    _run_service(options, serve_http=False)


# -- store commands --------------------------------------------------------------------------------------------
def with_store(database: str, action: Callable[[JobStore], Awaitable[T]]) -> T:
    from sfmc_actions.queue import open_store, redact_url

    async def run() -> T:
        store = await open_store(database)
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreError as exc:
        fail(f"{exc} (database {redact_url(database)})")


def print_json(value: Any) -> None:
    sys.stdout.write(json_text(value, indent=True) + "\n")  # stored events may hold lone surrogates


def status(
    database: DatabaseOption = DEFAULT_DATABASE,
    errors: Annotated[int, typer.Option("--errors", help="how many recent errors to show")] = 10,
    json: JsonFlag = False,
) -> None:
    """Queue depth per subscription and state, the oldest waiting job, and the last errors."""
    from sfmc_actions.admin import status_report
    from sfmc_actions.admin_views import status_tables
    from sfmc_actions.queue import redact_url

    stats = with_store(database, lambda store: store.stats(last_errors=errors))
    report = status_report(stats, redact_url(database))
    if json:
        print_json(report)
    else:
        console.print(status_tables(report))
