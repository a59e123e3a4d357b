"""`sfmc-actions test-mapping`: what one subscription does with one event, step by step, as the service would.

Shows whether the trigger matches (and its warnings), the mapped payload, the validated payload or Segment's
validation error, the batch key, and the exact HTTP request the action would send: built by the action and the
client as in delivery and caught where it would leave (sfmc/wire.py), Authorization masked (route/trial.py does
the work, shared with the console's mapping tester). Nothing is sent and no
credentials are needed unless `--send` is given; then the event goes through the action's `send` (one token) and
every request, SFMC's answers and the outcome are shown.

Exit code: 0 when the event would be delivered (with --send: was delivered), 1 when it would not (no match,
disabled subscription, mapping or validation error, SFMC refused), 2 for bad input.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfmc_actions.cli.options import EmulatorOption, JsonOption
from sfmc_actions.cli.output import console, fail, json_text, plain, print_json, read_json
from sfmc_actions.cli.resources import load_or_exit
from sfmc_actions.errors import DeliveryError, InvalidEventError

if TYPE_CHECKING:
    from sfmc_actions.route.subscriptions import Subscription
    from sfmc_actions.route.trial import Report


def test_mapping_command(
    event: Annotated[str, typer.Argument(metavar="EVENT.json", help="one Segment event as JSON, or - for stdin")],
    config: Annotated[Path, typer.Option("--config", "-c", help="config YAML file")],
    subscription: Annotated[str, typer.Option("--subscription", "-s", help="the subscription's name")],
    destination: Annotated[
        str | None, typer.Option("--destination", help="its destination, when several have one of that name")
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="send it to SFMC and show the answer")] = False,
    emulator_url: EmulatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what a subscription does with an event: trigger, mapping, validation, and the exact request."""
    from sfmc_actions.cli.connect import connect, explain
    from sfmc_actions.route.trial import send_trial, trial
    from sfmc_actions.service.load import tenant_of

    loaded = load_or_exit(config)  # one subscription of one destination is tested
    sub = _pick(loaded.subscriptions, subscription, destination, config)
    chosen = loaded.destination(sub.destination)
    settings = chosen.settings
    raw = _read_event(event)
    connection = connect(settings, config, emulator_url)
    tenant = tenant_of(chosen)
    report = asyncio.run(trial(sub, raw, connection.settings, connection.label, tenant))
    if send:
        try:
            asyncio.run(send_trial(report, connection.settings, sub))
        except DeliveryError as error:
            fail(explain(connection, error), 1)
    if as_json:
        print_json(report.__dict__)
    else:
        _print(report, send)
    delivered = report.sent is not None and report.sent["outcome"]["result"] == "delivered"
    raise typer.Exit(0 if (delivered if send else report.deliverable) else 1)


def _pick(subscriptions: list[Subscription], name: str, destination: str | None, config: Path) -> Subscription:
    """The subscription called `name` (in `destination` when given); exit 2 saying what there is otherwise."""
    found = [s for s in subscriptions if s.name == name and destination in (None, s.destination)]
    if len(found) == 1:
        return found[0]
    if found:
        where = ", ".join(s.destination for s in found)
        fail(f"{config} has a subscription {name!r} in destinations {where}: choose one with --destination")
    names = ", ".join(s.name for s in subscriptions if destination in (None, s.destination)) or "none"
    within = f" in destination {destination!r}" if destination else ""
    fail(f"{config} has no subscription named {name!r}{within}; its subscriptions: {names}")


def _read_event(source: str) -> dict[str, Any]:
    from sfmc_actions.events import parse_event

    raw = read_json(source, "event")
    try:
        return parse_event(raw).to_dict()  # as ingest normalises it (ids as text, messageId generated)
    except InvalidEventError as exc:
        fail(f"the service would reject this event ({source}): {exc}")


def _print(report: Report, send: bool) -> None:
    _print_steps(report, send)
    for text in report.notes:
        plain(text)
    if report.sent is not None:
        _print_sent(report.sent)


def _print_steps(report: Report, send: bool) -> None:
    plain(f"subscription {report.subscription} · action {report.action}" + ("" if report.enabled else " · DISABLED"))
    console.rule("Trigger")
    plain(report.trigger["fql"] or "")
    console.print(
        "[green]matches[/]"
        if report.trigger["matches"]
        else "[yellow]does not match[/]: the service would not deliver this event",
        highlight=False,
    )
    for warning in report.trigger["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    console.rule("Mapped payload")
    if report.mapping_error is not None:
        console.print(f"[red]mapping error:[/] {report.mapping_error}", highlight=False, soft_wrap=True)
        return
    console.print_json(json_text(report.mapped))
    if report.validation_error is not None:
        console.rule("Validation error")
        console.print(f"[red]{report.validation_error}[/]", highlight=False, soft_wrap=True)
        return
    console.rule(f"Validated payload ({report.validation_mode} mode)")
    console.print_json(json_text(report.validated))
    plain(f"batch key: {report.batch_key}")
    console.rule("Request" if send else "Request (not sent; add --send to send it)")
    plain(f"(to {report.target})")
    if report.request is None:
        plain(f"no request: {report.no_request}")
    else:
        _print_request(report.request)


def _print_request(request: dict[str, Any]) -> None:
    plain(f"{request['method']} {request['url']}")
    for name, value in request["headers"].items():
        plain(f"{name}: {value}")
    plain("")
    plain(request["body"])


def _print_sent(sent: dict[str, Any]) -> None:
    console.rule("Sent")
    for exchange in sent["exchanges"]:
        request, response = exchange["request"], exchange["response"]
        plain(f"{request['method']} {request['url']} -> HTTP {response['status']}")
        if not request["url"].endswith("/v2/token") and response["body"] is not None:
            console.print_json(json_text(response["body"]))
    outcome = sent["outcome"]
    colour = {"delivered": "green", "retry": "yellow", "dead": "red"}[outcome["result"]]
    detail = f": {outcome['error']}" if outcome["error"] else ""
    console.print(f"outcome: [{colour}]{outcome['result']}[/]{detail}", highlight=False, soft_wrap=True)
    plain(f"token requests: {sent['token_requests']}")
