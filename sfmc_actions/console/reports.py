"""The console's data: one function per page or admin API answer, returning plain JSON-ready data.

The JSON API (api.py) answers with these; the pages (pages.py) render the same data, so a user can script
anything they can click.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sfmc_actions.console.charts import Series, line_chart
from sfmc_actions.console.context import ConsoleContext
from sfmc_actions.console.hints import hint_for
from sfmc_actions.errors import DeliveryError, SfmcActionsError
from sfmc_actions.events import parse_event
from sfmc_actions.observe.logging import redact
from sfmc_actions.observe.metrics import METRICS
from sfmc_actions.queue.history import SeriesPoint
from sfmc_actions.queue.jobs import Job, dead_letter_record
from sfmc_actions.queue.status_report import build_status
from sfmc_actions.route.replay import Replayer
from sfmc_actions.route.subscriptions import Subscription
from sfmc_actions.route.trial import send_trial, trial

WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
DEAD_LETTER_LIMIT = 500
IN_DOUBT = "in doubt"  # every in-doubt dead letter's reason starts so (deliver/outcomes.py)
JOURNEY_ACTION = "apiEvent"
JOURNEY_WARNING = (
    "These include journey entries (apiEvent) or entries in doubt: SFMC may already have entered the contact, "
    "so replaying them may make the contact enter the journey twice. Confirm to replay them anyway."
)


class BadRequest(SfmcActionsError):
    """A request the console cannot answer as asked; the message says what to send instead."""


def window(since: str | None) -> tuple[str, datetime]:
    key = since or "1h"
    if key not in WINDOWS:
        raise BadRequest(f"since={key!r}: use one of {', '.join(WINDOWS)}")
    return key, datetime.now(UTC) - WINDOWS[key]


# -- overview --------------------------------------------------------------------------------------------------
STEPS = {"15m": 60, "1h": 60, "24h": 900, "7d": 7200}  # chart resolution per window: 15 to 96 points


async def overview(ctx: ConsoleContext, since: str | None) -> dict[str, Any]:
    """The window's delivery, read from the history tables (never a scan of the jobs). `status` is exactly what
    `sfmc-actions status --since WINDOW --json` prints (the same function builds it); the rest is drawn from it."""
    key, _ = window(since)
    history = ctx.store.history
    await history.flush()  # this process's buffered counts (SFMC and token requests, throttled) count too
    retention = ctx.config.retention.model_dump()
    # The same function as `status --since WINDOW --json`, given only the waiting jobs: the queue table of
    # stored jobs per state (a scan of every job) is the one part of status the overview does not show.
    waiting = await ctx.store.waiting()
    status = await build_status(ctx.store, ctx.database, WINDOWS[key], retention, stats=waiting)
    rows = status["subscriptions"]
    subscriptions = [
        r | {"retrying": r["waiting"], "rejected": None, "unmatched": None} for r in rows if r["subscription"]
    ]
    tenants = [r for r in rows if not r["subscription"]]
    totals = status["totals"]
    return {
        "since": key,
        "headline": {
            "delivered": totals["delivered"],
            "not_delivered": totals["dead"] + totals["in_doubt"],
            "waiting": totals["pending"] + totals["claimed"],
            "p95_ms": status["latency_ms"]["p95"],
        },
        "ingest": {
            "received": sum(s["accepted"] + s["rejected"] for s in status["sources"]),
            "rejected": totals["rejected"],
            "unmatched": totals["unmatched"],
        },
        "subscriptions": subscriptions,
        "latency_ms": status["latency_ms"],
        "sfmc": {
            "requests": sum(r["sfmc_requests"] for r in tenants),
            "token_requests": sum(r["token_requests"] for r in tenants),
            "throttled": totals["throttled"],
            "windows": adaptive_windows(),
        },
        "store": {
            "bytes": status["store_bytes"],
            "oldest_job_at": status["oldest_job_at"],
            "oldest_waiting_seconds": status["oldest_waiting_seconds"],
        },
        "status": status,
        "emulator_url": ctx.emulator_url,
    }


async def series(ctx: ConsoleContext, since: str | None) -> dict[str, Any]:
    """The overview's charts: delivered vs not delivered, and p95 latency, per step of the window."""
    key, start = window(since)
    return _series(key, await ctx.store.history.series(start, datetime.now(UTC), STEPS[key]))


def _series(key: str, points: list[SeriesPoint]) -> dict[str, Any]:
    return {
        "since": key,
        "step_seconds": STEPS[key],
        "points": [
            {
                "at": p.at.isoformat(),
                "delivered": p.delivered,
                "not_delivered": p.dead + p.in_doubt,
                "p95_ms": _round(p.p95),
            }
            for p in points
        ],
    }


def charts(data: dict[str, Any]) -> list[str]:
    points = data["points"]
    times = [datetime.fromisoformat(p["at"]) for p in points]
    counts = [
        Series("delivered", "#1a7f37", [p["delivered"] for p in points]),
        Series("not delivered", "#c62828", [p["not_delivered"] for p in points]),
    ]
    latency = [Series("p95 accept-to-delivered", "#0b5cad", [p["p95_ms"] for p in points])]
    return [
        line_chart(f"Delivered vs not delivered per {data['step_seconds'] // 60} min", times, counts),
        line_chart("p95 latency (ms)", times, latency, " ms"),
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def adaptive_windows() -> dict[str, int]:
    """Each tenant's adaptive SFMC concurrency window, as this process's workers have it now."""
    return {s.labels["tenant"]: int(s.value) for m in METRICS.tenant_concurrency.collect() for s in m.samples}


# -- errors ----------------------------------------------------------------------------------------------------
async def errors(ctx: ConsoleContext, since: str | None) -> dict[str, Any]:
    """Error groups of the window from the history (count, first and last seen, 3 samples), with a hint each."""
    key, start = window(since)
    history = ctx.store.history
    await history.fold_errors()  # what the housekeeping has not folded yet
    groups = []
    for group in await history.error_groups(start):
        hint = hint_for(group.error) or (hint_for(group.samples[0].error) if group.samples else None)
        groups.append(
            {
                "id": group.id,
                "destination": group.destination,
                "subscription": group.subscription,
                "error": group.error,
                "count": group.count,
                "first_seen": group.first_seen.isoformat(),
                "last_seen": group.last_seen.isoformat(),
                "meaning": hint.meaning if hint else None,
                "fix": hint.fix if hint else None,
                "samples": [
                    {
                        "job_id": sample.job_id,
                        "at": sample.at.isoformat(),
                        "event_received": sample.event,
                        "request_to_sfmc": sample.request,
                        "response_from_sfmc": sample.response,
                        "error": sample.error,
                    }
                    for sample in group.samples
                ],
            }
        )
    return {"since": key, "groups": groups}


# -- dead letters ----------------------------------------------------------------------------------------------
def dead_letter(job: Job, full: bool = False) -> dict[str, Any]:
    return dead_letter_record(job, full) | {
        "user_id": job.event.get("userId") if job.event else None,
        "journey": needs_confirmation(job),
        "in_doubt": in_doubt(job),
    }


def in_doubt(job: Job) -> bool:
    return job.in_doubt or (job.dead_reason or "").startswith(IN_DOUBT)


def needs_confirmation(job: Job) -> bool:
    """A replay could make the contact enter a journey twice: a journey entry, or any entry in doubt."""
    return job.action == JOURNEY_ACTION or in_doubt(job)


async def find_dead_letters(
    ctx: ConsoleContext,
    subscription: str | None = None,
    reason: str | None = None,
    message_id: str | None = None,
    user_id: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    include_rejected: bool = False,
    group: str | None = None,
    destination: str | None = None,
) -> list[Job]:
    """Dead letters matching every filter given, newest first. messageId and userId are matched exactly among
    the newest DEAD_LETTER_LIMIT the other filters select (the store indexes neither). `group`: an error
    group's dead letters (the Errors page links there)."""
    if not 1 <= limit <= DEAD_LETTER_LIMIT:
        raise BadRequest(f"limit={limit}: use 1 to {DEAD_LETTER_LIMIT}")
    if group:
        found = [await ctx.store.get_job(i) for i in await ctx.store.history.group_jobs(group, limit)]
        return [job for job in found if job is not None]
    narrow = message_id or user_id
    jobs = await ctx.store.list_dead(
        subscription or None,
        since,
        reason or None,
        DEAD_LETTER_LIMIT if narrow else limit,
        include_rejected=include_rejected,
        destination=destination or None,
    )
    if message_id:
        jobs = [j for j in jobs if j.message_id == message_id]
    if user_id:
        jobs = [j for j in jobs if j.event and j.event.get("userId") == user_id]
    return jobs[:limit]


async def replay(
    ctx: ConsoleContext, ids: list[int], dry_run: bool, confirm_journey: bool = False
) -> tuple[int, dict[str, Any]]:
    """Preview (dry run) or replay dead letters through the CURRENT config: (HTTP status, answer).

    Each item's preview says what would happen: would deliver, no longer matches, subscription gone, fails
    again at routing. Journey entries and entries in doubt replay only with `confirm_journey` (409 otherwise)."""
    if not ids:
        raise BadRequest('give the dead letters to replay: {"ids": [1, 2], "dry_run": true}')
    found = [await ctx.store.get_job(i) for i in ids]
    missing = [i for i, job in zip(ids, found, strict=True) if job is None]
    if missing:
        raise BadRequest(f"no job with id {', '.join(map(str, missing))} in the store")
    jobs = [job for job in found if job is not None]
    replayer = Replayer(ctx.router)
    plan = replayer.plan(jobs)
    items = [_preview_item(job, plan.jobs.get(job.id), plan.skipped.get(job.id)) for job in jobs]
    confirm = any(item["needs_confirmation"] for item in items if item["outcome"] == "would deliver")
    answer: dict[str, Any] = {"dry_run": dry_run, "items": items, "needs_confirmation": confirm}
    if confirm:
        answer["warning"] = JOURNEY_WARNING
    if dry_run:
        return 200, answer
    if confirm and not confirm_journey:
        answer["error"] = JOURNEY_WARNING + ' Send "confirm_journey": true.'
        return 409, answer
    if plan.jobs:
        result = await ctx.store.replay(list(plan.jobs), replayer)
        answer |= {"replayed": len(plan.jobs), "jobs": result.accepted, "duplicates": result.duplicates}
    else:
        answer |= {"replayed": 0, "jobs": 0, "duplicates": 0}
    return 200, answer


async def mark_entered(ctx: ConsoleContext, ids: list[int]) -> dict[str, Any]:
    """Resolve in-doubt journey entries as entered (the operator saw the contact in the journey): no send."""
    if not ids:
        raise BadRequest('give the in-doubt dead letters that entered: {"ids": [12]}')
    marked = await ctx.store.mark_entered(ids)
    return {"entered": marked, "left": [i for i in ids if i not in marked]}


def _preview_item(job: Job, new_jobs: list[Any] | None, skipped: str | None) -> dict[str, Any]:
    item = {"id": job.id, "subscription": job.subscription, "needs_confirmation": needs_confirmation(job)}
    if new_jobs:
        failing = [j.dead_reason for j in new_jobs if j.dead_reason]
        if failing:
            return item | {"outcome": "fails again", "detail": failing[0]}
        return item | {"outcome": "would deliver", "detail": f"{len(new_jobs)} job(s) queued"}
    why = skipped or ""
    if "not an enabled subscription" in why:
        outcome = "subscription gone"
    elif "no longer matches" in why or "matches no enabled" in why:
        outcome = "no longer matches"
    else:
        outcome = "left as is"
    return item | {"outcome": outcome, "detail": why}


# -- subscriptions and the mapping tester ----------------------------------------------------------------------
async def subscriptions(ctx: ConsoleContext) -> list[dict[str, Any]]:
    """Every subscription with its deliveries of the last 24 hours (from the history: no scan of the jobs)."""
    totals = {(t.destination, t.subscription): t for t in await ctx.store.history.totals(window("24h")[1])}
    rows = []
    for sub in ctx.subscriptions:
        day = totals.get((sub.destination, sub.name))
        rows.append(
            {
                "name": sub.name,
                "destination": sub.destination,
                "action": sub.action.key,
                "trigger": sub.trigger.fql,
                "trigger_warnings": list(sub.trigger.warnings),
                "target": _target(ctx.mapping_of(sub)),
                "enabled": sub.enabled,
                "delivered_24h": day.delivered if day else 0,
                "dead_24h": day.dead + day.invalid if day else 0,
                "mapping": ctx.mapping_of(sub),
            }
        )
    return rows


def _target(mapping: dict[str, Any]) -> str | None:
    for key in ("key", "id", "eventDefinitionKey"):
        value = mapping.get(key)
        if isinstance(value, str):
            return value
    return None


def event_from(text: Any) -> dict[str, Any]:
    """A pasted or picked event, normalised as ingest would (ids as text, messageId generated)."""
    if not isinstance(text, dict):
        raise BadRequest('"event" must be one Segment event as a JSON object')
    try:
        return parse_event(text).to_dict()
    except Exception as exc:
        raise BadRequest(f"the service would reject this event: {exc}") from None


async def test_subscription(
    ctx: ConsoleContext, name: str, destination: str | None, event: Any, send: bool
) -> dict[str, Any]:
    """What `test-mapping` shows for `event` through the subscription (with `send`: what `--send` does)."""
    sub = find_subscription(ctx, name, destination)
    raw = event_from(event)
    target = ctx.targets[sub.destination]
    report = await trial(sub, raw, target.settings, target.label, target.tenant)
    if send:
        try:
            await send_trial(report, target.settings, sub)
        except DeliveryError as error:
            report.notes.append(f"not delivered: {redact(str(error))}")
    return report.__dict__ | {"deliverable": report.deliverable, "destination": sub.destination, "event": raw}


class NotFound(SfmcActionsError):
    """No such subscription or dead letter; the message lists what there is."""


def find_subscription(ctx: ConsoleContext, name: str, destination: str | None) -> Subscription:
    found = [s for s in ctx.subscriptions if s.name == name and destination in (None, "", s.destination)]
    if len(found) == 1:
        return found[0]
    if found:
        where = ", ".join(s.destination for s in found)
        raise BadRequest(f"subscription {name!r} is in destinations {where}: add ?destination=NAME")
    names = ", ".join(s.name for s in ctx.subscriptions) or "none"
    raise NotFound(f"no subscription named {name!r}; the config has: {names}")


def live_events(ctx: ConsoleContext, after: int = 0) -> list[dict[str, Any]]:
    return [event.to_dict() for event in ctx.live.newest_first(after)]
