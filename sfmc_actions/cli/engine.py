"""`sfmc-actions match | map | check-config | route`: the routing engine by hand, nothing stored or sent."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from sfmc_actions.cli.options import ConfigOption, EmulatorOption
from sfmc_actions.cli.output import console, err_console, fail, print_js_json, read_json, warn
from sfmc_actions.cli.resources import load_router
from sfmc_actions.errors import FqlSyntaxError, InvalidEventError, MappingError
from sfmc_actions.js.values import json_stringify, parse_json


def match(
    fql: Annotated[str, typer.Argument(help="Segment FQL trigger, e.g. 'type = \"track\"'")],
    event: Annotated[str, typer.Argument(help="event JSON file, or - for stdin")] = "-",
) -> None:
    """Print true or false: does the event match the trigger, as Segment would decide."""
    from sfmc_actions.route.fql import compile_trigger

    try:
        trigger = compile_trigger(fql)
    except FqlSyntaxError as exc:
        fail(f"invalid trigger: {exc}")
    for warning in trigger.warnings:
        warn(warning)
    payload = read_json(event, "event")
    if not isinstance(payload, dict):
        fail(f"event {event} must be a JSON object")
    console.print("true" if trigger.matches(payload) else "false", highlight=False)


def map_event(
    mapping: Annotated[str, typer.Argument(help="mapping JSON file (Segment mapping language)")],
    event: Annotated[str, typer.Argument(help="event JSON file, or - for stdin")] = "-",
) -> None:
    """Resolve a Segment mapping against an event and print the payload as JSON."""
    from sfmc_actions.route.mapping import compile_mapping, is_undefined

    definition = read_json(mapping, "mapping")
    try:
        result = compile_mapping(definition).resolve(read_json(event, "event"))
        if is_undefined(result):
            fail("the mapping resolved to nothing (JavaScript undefined): its root directive found no value", 1)
        print_js_json(result)
    except MappingError as exc:
        fail("invalid mapping:\n  " + "\n  ".join(exc.errors))


def check_config(
    config: Annotated[Path, typer.Argument(help="config YAML file")],
    remote: Annotated[
        bool,
        typer.Option(
            "--remote",
            help="also check each subscription against what it targets in SFMC (data extensions, event "
            "definitions): read-only; exit code 1 when there are problems",
        ),
    ] = False,
    emulator_url: EmulatorOption = None,
) -> None:
    """Check a config file: destinations, settings, sources, and every subscription's trigger and mapping.

    With --remote, also connect to each destination's SFMC tenant (or, without credentials, the running emulator's
    demo tenant) and list every mismatch: a data extension or event definition that does not exist, keys that are
    not the primary key, unknown columns, a required column never mapped, a literal that cannot fit its column.
    """
    from sfmc_actions.cli.config_report import report_config

    if not report_config(config, console, err_console):
        raise typer.Exit(2)
    if remote:
        from sfmc_actions.cli.check_remote import report_remote

        if report_remote(config, console, err_console, emulator_url):
            raise typer.Exit(1)
    elif emulator_url:
        fail("--emulator-url goes with --remote (the tenant to check against when the config has no credentials)")


def route_file(
    config: ConfigOption,
    events: Annotated[str, typer.Argument(help="NDJSON file of Segment events, or - for stdin")] = "-",
) -> None:
    """Dry run: route events through the config's subscriptions (every destination's) and print each payload
    (nothing is sent)."""
    from sfmc_actions.events import parse_event

    loaded, router = load_router(config)
    several = len(loaded.config.destinations) > 1  # then each line names its destination too
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
                out: dict[str, object] = {"line": number}
                out |= {"destination": job.destination} if several else {}
                out |= {"subscription": job.subscription, "batch_key": job.batch_key}
                out |= {"dead": job.dead_reason} if job.dead_reason else {"payload": job.payload}
                sys.stdout.write(json_stringify(out) + "\n")
    err_console.print(" · ".join(f"{v} {k}" for k, v in counts.items()), highlight=False)
