"""`sfmc-actions serve` and `sfmc-actions worker`: options, then `service.run.run_service`, then the banner."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.panel import Panel
from rich.text import Text

from sfmc_actions.cli.options import DEFAULT_DATABASE, ConfigOption, DatabaseOption
from sfmc_actions.cli.output import err_console, fail, fail_config
from sfmc_actions.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from sfmc_actions.config import SfmcSettings
    from sfmc_actions.service.run import ServiceOptions

log = logging.getLogger("sfmc_actions.service")

LogFormat = Annotated[str, typer.Option("--log-format", help="text or json")]
LogLevel = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error")]


def serve(
    config: ConfigOption,
    host: Annotated[str, typer.Option(help="interface the ingest API listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port of the ingest API (0: a free one)")] = 8088,
    database: DatabaseOption = DEFAULT_DATABASE,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve /metrics and /healthz on this port (0: a free one); default: none")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="interface for --metrics-port")] = "127.0.0.1",
    emulator_seed: Annotated[
        Path | None, typer.Option(help="seed of the built-in emulator (default: emulator-seed.yaml beside the config)")
    ] = None,
    emulator_port: Annotated[int, typer.Option(help="port of the built-in emulator (taken: a free one)")] = 8787,
    emulator_host: Annotated[
        str | None,
        typer.Option(help="interface of the built-in emulator (default: loopback, whatever --host says)"),
    ] = None,
    console_port: Annotated[
        int | None, typer.Option(help="port of the web console (0: a free one); default: console.port, 8089")
    ] = None,
    no_console: Annotated[bool, typer.Option("--no-console", help="do not serve the web console")] = False,
    log_format: LogFormat = "text",
    log_level: LogLevel = "info",
) -> None:
    """Run the ingest API and the delivery workers in one process (the built-in emulator without credentials)."""
    from sfmc_actions.service.run import ServiceOptions

    _logging(log_level, log_format)
    options = ServiceOptions(
        config,
        database,
        host,
        port,
        emulator_seed=emulator_seed,
        emulator_port=emulator_port,
        emulator_host=emulator_host,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        console=not no_console,
        console_port=console_port,
    )
    _run_service(options, serve_http=True)


def worker(
    config: ConfigOption,
    database: DatabaseOption = DEFAULT_DATABASE,
    emulator_url: Annotated[
        str | None, typer.Option(help="without SFMC credentials: the URL of the emulator a `serve` runs")
    ] = None,
    emulator_seed: Annotated[
        Path | None,
        typer.Option(
            help="the seed that serve's emulator runs with (default: emulator-seed.yaml beside the config): "
            "each destination without credentials delivers with the same package as in serve"
        ),
    ] = None,
    metrics_port: Annotated[int | None, typer.Option(help="serve /metrics and /healthz on this port")] = None,
    host: Annotated[str, typer.Option(help="interface for --metrics-port")] = "127.0.0.1",
    log_format: LogFormat = "text",
    log_level: LogLevel = "info",
) -> None:
    """Run delivery workers only, to scale out: any number of them share the store with `serve`."""
    from sfmc_actions.service.run import ServiceOptions

    _logging(log_level, log_format)
    options = ServiceOptions(
        config,
        database,
        emulator_url=emulator_url,
        emulator_seed=emulator_seed,
        metrics_port=metrics_port,
        metrics_host=host,
    )
    _run_service(options, serve_http=False)


def _logging(level: str, fmt: str) -> None:
    from sfmc_actions.observe.logging import configure_logging

    if fmt not in ("text", "json"):
        fail(f"--log-format {fmt!r}: use text or json")
    try:
        configure_logging(level, json=fmt == "json")
    except ValueError:
        fail(f"--log-level {level!r}: use debug, info, warning or error")


def _run_service(options: ServiceOptions, serve_http: bool) -> None:
    from sfmc_actions.service.run import Started, StartError, run_service

    def started(info: Started) -> None:
        loaded = info.loaded
        destinations = loaded.config.destinations
        if info.emulator_url is not None and serve_http:
            err_console.print(emulator_banner(str(options.config), info.emulator_url))
            log.warning(
                "no SFMC credentials: delivering to the built-in SFMC emulator at %s (inspection API %s/__emulator/)",
                info.emulator_url,
                info.emulator_url,
            )
        tasks = info.workers.tasks_per_process if info.workers else 0
        what = f"ingest API on {info.url}, " if info.url else ""
        metrics = f"metrics at {info.metrics_url}" if info.metrics_url else "metrics not served (--metrics-port)"
        if len(destinations) == 1:
            target = _target(destinations[0].settings, None, info.emulator_url)
            delivering = f"{len(loaded.subscriptions)} subscription(s) delivering to {target}"
        else:
            delivering = f"{len(destinations)} destinations, {len(loaded.subscriptions)} subscription(s)"
        err_console.print(
            f"[bold green]sfmc-actions[/] {what}{delivering}; store {info.database}; {tasks} worker task(s); "
            f"{metrics}. Ctrl+C to stop.",
            highlight=False,
            soft_wrap=True,
        )
        if len(destinations) > 1:  # each destination, and where its client secret goes
            for d in destinations:
                target = _target(d.settings, info.targets.get(d.name), info.emulator_url)
                count = len(loaded.subscriptions_of(d.name))
                err_console.print(
                    f"  destination [bold]{d.name}[/]: {count} subscription(s) delivering to {target}",
                    highlight=False,
                    soft_wrap=True,
                )
        if info.console_url is not None:
            login = "log in with console.token" if loaded.config.console.token else "no token: this machine only"
            err_console.print(f"[bold]console[/] {info.console_url}/ ({login})", highlight=False, soft_wrap=True)
        for warning in loaded.warnings:
            log.warning(warning)

    try:
        asyncio.run(run_service(options, serve_http=serve_http, on_started=started))
    except ConfigError as exc:
        fail_config(exc, str(options.config), f"fix them (see `sfmc-actions check-config {options.config}`)")
    except (StoreError, StartError) as exc:
        fail(str(exc))


def _target(configured: SfmcSettings | None, used: SfmcSettings | None, emulator_url: str | None) -> str:
    if configured is not None:
        return secret_destination(configured)
    if used is None:
        return f"emulator {emulator_url}"
    return f"emulator {emulator_url} (its tenant {used.subdomain}, MID {used.account_id}; no secret leaves the host)"


def secret_destination(settings: SfmcSettings) -> str:
    """Which tenant, and where its client secret goes (the token URL), for the start-up banner."""
    from sfmc_actions.config import is_sfmc_host
    from sfmc_actions.observe.urls import redact_url
    from sfmc_actions.sfmc.settings import Endpoints

    token_url = Endpoints.for_settings(settings).token_url
    tenant = f"SFMC tenant {settings.subdomain} (MID {settings.account_id})"
    if is_sfmc_host(urlsplit(token_url).hostname or ""):
        return f"{tenant}, client secret sent to {token_url}"
    return f"{tenant} through a custom API host, client secret sent to {redact_url(token_url)} (not SFMC)"


def emulator_banner(config: str, url: str) -> Panel:
    text = Text.assemble(
        ("No SFMC credentials in ", ""),
        (config, "bold"),
        (": events are delivered to the ", ""),
        ("BUILT-IN SFMC EMULATOR", "bold yellow"),
        (", not to Salesforce.\n\n", ""),
        ("SFMC API          ", "bold"),
        (f"{url}\n", ""),
        ("inspection API    ", "bold"),
        (f"{url}/__emulator/\n", ""),
        ("rows of a DE      ", "bold"),
        (f"curl {url}/__emulator/data-extensions/Customers/rows\n", ""),
        ("journey entries   ", "bold"),
        (f"curl {url}/__emulator/journey-events\n\n", ""),
        ("To deliver to SFMC, add settings (subdomain, account_id, client_id, client_secret) to the config.", "dim"),
    )
    return Panel(text, title="[bold yellow]SFMC emulator[/]", title_align="left", border_style="yellow")
