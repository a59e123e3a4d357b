"""The `sfmc-actions` command line. Each command is a thin shell over a stage or library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console

from sfmc_actions import __version__
from sfmc_actions.errors import ConfigError, FqlSyntaxError, InvalidEventError, MappingError
from sfmc_actions.jsvalues import json_stringify, parse_json
from sfmc_actions.service_cli import DEFAULT_DATABASE, DatabaseOption

if TYPE_CHECKING:
    from sfmc_actions.app import Loaded
    from sfmc_actions.route.router import Router

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


def _read_json(source: str, what: str) -> Any:
    """A JSON document from a file path or '-' (stdin), or a clear error and exit 2."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        _fail(f"cannot read {what} {source}: {exc.strerror}")
    try:
        return parse_json(data)
    except orjson.JSONDecodeError as exc:
        _fail(f"{what} {source} is not valid JSON: {exc}")


def _fail(message: str, code: int = 2) -> Any:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _print_json(value: object) -> None:
    # As JavaScript prints it (JSON.stringify(value, null, 2)): key order, numbers, lone surrogates.
    sys.stdout.write(json_stringify(value, indent="  ") + "\n")


@app.command()
def match(
    fql: Annotated[str, typer.Argument(help="Segment FQL trigger, e.g. 'type = \"track\"'")],
    event: Annotated[str, typer.Argument(help="event JSON file, or - for stdin")] = "-",
) -> None:
    """Print true or false: does the event match the trigger, as Segment would decide."""
    from sfmc_actions.route.fql import compile_trigger

    try:
        trigger = compile_trigger(fql)
    except FqlSyntaxError as exc:
        _fail(f"invalid trigger: {exc}")
    for warning in trigger.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    payload = _read_json(event, "event")
    if not isinstance(payload, dict):
        _fail(f"event {event} must be a JSON object")
    console.print("true" if trigger.matches(payload) else "false", highlight=False)


@app.command(name="map")
def map_event(
    mapping: Annotated[str, typer.Argument(help="mapping JSON file (Segment mapping language)")],
    event: Annotated[str, typer.Argument(help="event JSON file, or - for stdin")] = "-",
) -> None:
    """Resolve a Segment mapping against an event and print the payload as JSON."""
    from sfmc_actions.route.mapping import compile_mapping, is_missing

    definition = _read_json(mapping, "mapping")
    try:
        result = compile_mapping(definition).resolve(_read_json(event, "event"))
        if is_missing(result):
            _fail("the mapping resolved to nothing (JavaScript undefined): its root directive found no value", 1)
        _print_json(result)
    except MappingError as exc:
        _fail("invalid mapping:\n  " + "\n  ".join(exc.errors))


@app.command(name="check-config")
def check_config(config: Annotated[Path, typer.Argument(help="config YAML file")]) -> None:
    """Check a config file: settings, sources, and every subscription's trigger and mapping."""
    from sfmc_actions.app import load

    try:
        loaded = load(config)
    except ConfigError as exc:
        for problem in exc.problems:
            err_console.print(f"[bold red]error:[/] {problem}", highlight=False)
        err_console.print(f"{len(exc.problems)} problem(s) in {config}", style="bold red")
        raise typer.Exit(2) from None
    for warning in loaded.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    target = "SFMC tenant " + loaded.config.settings.subdomain if loaded.config.settings else "built-in emulator"
    summary = (
        f"[green]ok[/] {config}: {len(loaded.subscriptions)} subscription(s), "
        f"{len(loaded.config.sources)} source(s), delivering to the {target}"
    )
    console.print(summary, highlight=False, soft_wrap=True)


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


def _load_router(config: Path) -> tuple[Loaded, Router]:
    """The config, fully checked, and a router over its subscriptions; exit 2 with the problems otherwise."""
    from sfmc_actions.app import load, tenant_key
    from sfmc_actions.route.router import Router

    try:
        loaded = load(config)
    except ConfigError as exc:
        _fail(f"{config} has problems; run `sfmc-actions check-config {config}`:\n{exc}")
    return loaded, Router(loaded.subscriptions, tenant_key(loaded.config.settings))


@app.command(name="route")
def route_file(
    config: Annotated[Path, typer.Option("--config", "-c", help="config YAML file")],
    events: Annotated[str, typer.Argument(help="NDJSON file of Segment events, or - for stdin")] = "-",
) -> None:
    """Dry run: route events through the config's subscriptions and print each payload (nothing is sent)."""
    from sfmc_actions.events import parse_event

    _, router = _load_router(config)
    stream = sys.stdin if events == "-" else open(events, encoding="utf-8")  # noqa: SIM115
    counts = {"events": 0, "payloads": 0, "dead": 0, "unmatched": 0, "rejected": 0}
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            counts["events"] += 1
            try:
                routed = router.route(parse_event(parse_json(line)).to_dict())
            except (orjson.JSONDecodeError, InvalidEventError) as exc:
                counts["rejected"] += 1
                err_console.print(f"[red]rejected[/] {events}:{number}: {exc}", highlight=False, soft_wrap=True)
                continue
            counts["unmatched"] += routed.unmatched
            for job in routed.jobs:
                counts["dead" if job.dead_reason else "payloads"] += 1
                out = {"line": number, "subscription": job.subscription, "batch_key": job.batch_key}
                out |= {"dead": job.dead_reason} if job.dead_reason else {"payload": job.payload}
                sys.stdout.write(json_stringify(out) + "\n")
    err_console.print(" · ".join(f"{v} {k}" for k, v in counts.items()), highlight=False)


@app.command()
def send(
    config: Annotated[Path, typer.Option("--config", "-c", help="config YAML file")],
    events: Annotated[str, typer.Argument(help="NDJSON file of Segment events, or - for stdin")] = "-",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Route events from an NDJSON file (backfill, replay) straight into the job store; bad lines are kept."""
    from sfmc_actions.ingest.console import SendFailed, run_send

    loaded, router = _load_router(config)
    try:
        run_send(events, router, database, console, err_console, dedupe_window=loaded.config.delivery.dedupe_window)
    except SendFailed as exc:
        _fail(str(exc))


def _register_service_commands() -> None:
    """serve, worker, status and dead-letters live in service_cli.py / dead_letters_cli.py."""
    from sfmc_actions import dead_letters_cli, service_cli

    app.command()(service_cli.serve)
    app.command()(service_cli.worker)
    app.command()(service_cli.status)
    app.add_typer(dead_letters_cli.app, name="dead-letters")


_register_service_commands()


def _register_sfmc_commands() -> None:
    """data-extensions and test-mapping live in sfmc_actions/commands/."""
    from sfmc_actions.commands import data_extensions, mapping_tester

    app.add_typer(data_extensions.app, name="data-extensions")
    app.command(name="test-mapping")(mapping_tester.test_mapping_command)


_register_sfmc_commands()


def main() -> None:
    app()
