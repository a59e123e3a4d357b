"""`sfmc-actions test-mapping`: what one subscription does with one event, step by step, as the service would.

Shows whether the trigger matches (and its warnings), the mapped payload, the validated payload or Segment's
validation error, the batch key, and the exact HTTP request the action would send: built by the action and the
client as in delivery and caught where it would leave (wire.py), Authorization masked. Nothing is sent and no
credentials are needed unless `--send` is given; then the event goes through the action's `send` (one token) and
every request, SFMC's answers and the outcome are shown.

Exit code: 0 when the event would be delivered (with --send: was delivered), 1 when it would not (no match,
disabled subscription, mapping or validation error, SFMC refused), 2 for bad input.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfmc_actions.cli.options import EmulatorOption, JsonOption
from sfmc_actions.cli.output import console, fail, json_text, plain, print_json, read_json
from sfmc_actions.cli.resources import load_or_exit
from sfmc_actions.errors import DeliveryError, InvalidEventError, MappingError

if TYPE_CHECKING:
    from sfmc_actions.cli.connect import Connection
    from sfmc_actions.route.subscriptions import Subscription
    from sfmc_actions.sfmc.actions import Payload
    from sfmc_actions.sfmc.outcomes import Outcome


@dataclass
class Report:
    """Everything the command found out; printed as sections, or as one JSON document with `--json`."""

    subscription: str
    action: str
    enabled: bool
    trigger: dict[str, Any]
    mapped: Any = None
    mapping_error: str | None = None
    validation_mode: str | None = None
    validated: Any = None
    validation_error: str | None = None
    batch_key: str | None = None
    target: str = ""
    request: dict[str, Any] | None = None
    no_request: str | None = None  # why the action would send nothing
    sent: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def deliverable(self) -> bool:
        return self.enabled and self.trigger["matches"] and self.validated is not None and self.request is not None


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
    from sfmc_actions.cli.connect import connect
    from sfmc_actions.route.router import Router, validation_mode
    from sfmc_actions.service.load import tenant_of

    loaded = load_or_exit(config)  # one subscription of one destination is tested
    sub = _pick(loaded.subscriptions, subscription, destination, config)
    chosen = loaded.destination(sub.destination)
    settings = chosen.settings
    raw = _read_event(event)
    connection = connect(settings, config, emulator_url)
    report = Report(
        sub.name,
        sub.action.key,
        sub.enabled,
        {
            "fql": sub.trigger.fql,
            "matches": sub.trigger.matches(raw),
            "warnings": list(sub.trigger.warnings),
        },
        target=connection.label,
    )
    try:
        report.mapped = sub.mapping.resolve(raw)
        report.validation_mode = validation_mode(sub.action.key, report.mapped)
    except MappingError as error:
        report.mapping_error = str(error)
    job = Router([sub], tenant_of(chosen)).job(sub, raw)  # exactly what the service would queue
    if job.dead_reason is None:
        report.validated, report.batch_key = job.payload, job.batch_key
        _preview(report, connection, sub, job.payload)
    elif report.mapping_error is None:
        report.validation_error = job.dead_reason
    if send:
        _send(report, connection, sub)
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


def _preview(report: Report, connection: Connection, sub: Subscription, payload: Payload) -> None:
    """Run the action's `send` up to its first request and keep that request instead of sending it."""
    from sfmc_actions.cli.wire import Previewed, PreviewTransport, preview_token_cache, shown_request
    from sfmc_actions.sfmc.client import SfmcClient

    async def first_request() -> Previewed | list[Outcome]:
        cache = await preview_token_cache(connection.settings)
        # check_schema off: the preview shows the action's own request, not the fields lookup before it.
        client = SfmcClient(connection.settings, token_cache=cache, transport=PreviewTransport(), check_schema=False)
        async with client:
            try:
                return await sub.action.send(client, [payload], sub.hook_outputs)
            except Previewed as previewed:
                return previewed

    result = asyncio.run(first_request())
    if isinstance(result, Previewed):
        report.request = shown_request(result.request)
    else:  # the action decided without a request (e.g. a row over SFMC's size limit)
        report.no_request = _outcome(result[0])["error"] or "the action sends nothing for this payload"
    if sub.action.key == "asyncDataExtension":
        report.notes.append("after this request the action polls GET /data/v1/async/{requestId}/status and /results")


def _send(report: Report, connection: Connection, sub: Subscription) -> None:
    from sfmc_actions.cli.connect import explain
    from sfmc_actions.cli.wire import RecordingTransport, shown_request, shown_response
    from sfmc_actions.sfmc.client import SfmcClient

    if not report.deliverable:
        why = (
            "the subscription is disabled"
            if not report.enabled
            else ("the trigger does not match" if not report.trigger["matches"] else "there is no valid payload")
        )
        report.notes.append(f"not sent: {why}, so the service would not deliver this event")
        return

    async def deliver() -> dict[str, Any]:
        recorder = RecordingTransport()
        async with SfmcClient(connection.settings, transport=recorder, check_schema=False) as client:  # as previewed
            try:
                await client.authenticate()
                outcomes = await sub.action.send(client, [report.validated], sub.hook_outputs)
            except DeliveryError as error:
                fail(explain(connection, error), 1)
            exchanges = [{"request": shown_request(q), "response": shown_response(r)} for q, r in recorder.exchanges]
            return {"exchanges": exchanges, "outcome": _outcome(outcomes[0]), "token_requests": client.token_requests}

    report.sent = asyncio.run(deliver())


def _outcome(outcome: Outcome) -> dict[str, Any]:
    from sfmc_actions.sfmc.outcomes import Delivered, Retry

    if isinstance(outcome, Delivered):
        return {"result": "delivered", "error": None, "response_body": outcome.response_body}
    if isinstance(outcome, Retry):
        return {"result": "retry", "error": outcome.error, "retry_after": outcome.retry_after}
    return {"result": "dead", "error": outcome.error, "sent": outcome.sent}


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
