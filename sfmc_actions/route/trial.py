"""What one subscription does with one event, step by step, as the service would: `test-mapping` and the console's
mapping tester share it.

Finds whether the trigger matches (and its warnings), the mapped payload, the validated payload or Segment's
validation error, the batch key, and the exact HTTP request the action would send: built by the action and the
client as in delivery and caught where it would leave (sfmc/wire.py), Authorization masked. Nothing is sent
and no credentials are needed unless `send_trial` is called; then the event goes through the action's `send`
(one token) and every request, SFMC's answers and the outcome are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfmc_actions.errors import MappingError
from sfmc_actions.route.router import Router, validation_mode

if TYPE_CHECKING:
    from sfmc_actions.config import SfmcSettings
    from sfmc_actions.route.subscriptions import Subscription
    from sfmc_actions.sfmc.actions import Payload
    from sfmc_actions.sfmc.outcomes import Outcome


@dataclass
class Report:
    """Everything a trial found out (test-mapping prints it as sections or as JSON; the console renders it)."""

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

    def why_not(self) -> str:
        if not self.enabled:
            return "the subscription is disabled"
        if not self.trigger["matches"]:
            return "the trigger does not match"
        return "there is no valid payload"


async def trial(sub: Subscription, raw: dict[str, Any], settings: SfmcSettings, target: str, tenant: str) -> Report:
    """The report for `raw` (a parsed event) through `sub`, with the request it would send to `settings`;
    `target` names that tenant for people, `tenant` is the service's tenant key (the jobs' `tenant`)."""
    report = Report(
        sub.name,
        sub.action.key,
        sub.enabled,
        {"fql": sub.trigger.fql, "matches": sub.trigger.matches(raw), "warnings": list(sub.trigger.warnings)},
        target=target,
    )
    try:
        report.mapped = sub.mapping.resolve(raw)
        report.validation_mode = validation_mode(sub.action.key, report.mapped)
    except MappingError as error:
        report.mapping_error = str(error)
    job = Router([sub], tenant).job(sub, raw)  # exactly what the service would queue
    if job.dead_reason is None:
        report.validated, report.batch_key = job.payload, job.batch_key
        await _preview(report, settings, sub, job.payload)
    elif report.mapping_error is None:
        report.validation_error = job.dead_reason
    return report


async def _preview(report: Report, settings: SfmcSettings, sub: Subscription, payload: Payload) -> None:
    """Run the action's `send` up to its first request and keep that request instead of sending it."""
    from sfmc_actions.sfmc.client import SfmcClient
    from sfmc_actions.sfmc.wire import Previewed, PreviewTransport, preview_token_cache, shown_request

    cache = await preview_token_cache(settings)
    # check_schema off: the preview shows the action's own request, not the fields lookup before it.
    client = SfmcClient(settings, token_cache=cache, transport=PreviewTransport(), check_schema=False)
    result: Previewed | list[Outcome]
    async with client:
        try:
            result = await sub.action.send(client, [payload], sub.hook_outputs)
        except Previewed as previewed:
            result = previewed
    if isinstance(result, Previewed):
        report.request = shown_request(result.request)
    else:  # the action decided without a request (e.g. a row over SFMC's size limit)
        report.no_request = outcome_dict(result[0])["error"] or "the action sends nothing for this payload"
    if sub.action.key == "asyncDataExtension":
        report.notes.append("after this request the action polls GET /data/v1/async/{requestId}/status and /results")


async def send_trial(report: Report, settings: SfmcSettings, sub: Subscription) -> None:
    """Send the validated payload as the service would (one token) and keep every exchange and the outcome in
    `report.sent`. Raises DeliveryError when SFMC cannot be reached or refuses the credentials."""
    from sfmc_actions.sfmc.client import SfmcClient
    from sfmc_actions.sfmc.wire import RecordingTransport, shown_request, shown_response

    if not report.deliverable:
        report.notes.append(f"not sent: {report.why_not()}, so the service would not deliver this event")
        return
    recorder = RecordingTransport()
    async with SfmcClient(settings, transport=recorder, check_schema=False) as client:  # as previewed
        await client.authenticate()
        outcomes = await sub.action.send(client, [report.validated], sub.hook_outputs)
        exchanges = [{"request": shown_request(q), "response": shown_response(r)} for q, r in recorder.exchanges]
        report.sent = {
            "exchanges": exchanges,
            "outcome": outcome_dict(outcomes[0]),
            "token_requests": client.token_requests,
        }


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    from sfmc_actions.sfmc.outcomes import Delivered, Retry

    if isinstance(outcome, Delivered):
        return {"result": "delivered", "error": None, "response_body": outcome.response_body}
    if isinstance(outcome, Retry):
        return {"result": "retry", "error": outcome.error, "retry_after": outcome.retry_after}
    return {"result": "dead", "error": outcome.error, "sent": outcome.sent}
