"""`sfmc-actions status` and `sfmc-actions dead-letters`: what the queue holds, and replaying what died.

Replay re-routes each dead job's raw event through the CURRENT config (DESIGN.md "Route at ingest, keep the
raw event"), so a fixed mapping or payload applies, in one store transaction (JobStore.replay). It re-routes
through the job's OWN subscription only, its trigger checked again: routing through every subscription would
send the event a second time to the subscriptions that delivered it fine. Rejected events (which never reached
a subscription) go through all of them, once they pass the Segment Spec checks. A dead letter that would
produce nothing (its subscription is gone or disabled, its trigger no longer matches, the event still breaks
the Spec) is left where it is and reported, never marked replayed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from sfmc_actions.errors import InvalidEventError
from sfmc_actions.events import parse_event
from sfmc_actions.jsvalues import parse_json
from sfmc_actions.queue.jobs import Job, JobState, NewJob, QueueStats
from sfmc_actions.route.router import Router

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SINCE_HELP = "a duration back from now (30m, 2h, 7d) or an ISO 8601 time (2025-01-31T12:00:00Z)"  # cli too
STATES = (JobState.PENDING, JobState.CLAIMED, JobState.DELIVERED, JobState.DEAD, JobState.REJECTED)
REJECTED_ROW = "(rejected at ingest)"


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`2h` -> two hours ago; an ISO 8601 time as is (UTC when it names no zone). ValueError otherwise."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since {text!r} is neither {SINCE_HELP}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours < 48 else f"{hours // 24}d{hours % 24:02d}h"


# -- status ----------------------------------------------------------------------------------------------------
def status_report(stats: QueueStats, database: str, now: datetime | None = None) -> dict[str, Any]:
    """The status as plain data (the --json output; the table is drawn from it)."""
    now = now or datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {}
    for count in stats.counts:
        name = count.subscription if count.subscription is not None else REJECTED_ROW
        row = rows.setdefault(
            name, {"subscription": name, **{s.value: 0 for s in STATES}, "oldest_waiting_seconds": None}
        )
        row[count.state.value] += count.count
        if count.state in (JobState.PENDING, JobState.CLAIMED):
            waited = (now - count.oldest_created_at).total_seconds()
            row["oldest_waiting_seconds"] = max(row["oldest_waiting_seconds"] or 0.0, waited)
    oldest = stats.oldest_pending_at
    return {
        "database": database,
        "subscriptions": sorted(rows.values(), key=lambda r: (r["subscription"] == REJECTED_ROW, r["subscription"])),
        "totals": {s.value: stats.total(s) for s in STATES},
        "oldest_waiting_seconds": None if oldest is None else (now - oldest).total_seconds(),
        "last_errors": [
            {
                "job_id": e.job_id,
                "subscription": e.subscription,
                "state": e.state.value,
                "at": e.at.isoformat(),
                "error": e.error,
            }
            for e in stats.last_errors
        ],
    }


# -- dead letters ----------------------------------------------------------------------------------------------
def job_dict(job: Job, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": job.id,
        "subscription": job.subscription,
        "action": job.action or None,
        "state": job.state.value,
        "attempts": job.attempts,
        "message_id": job.message_id,
        "created_at": job.created_at.isoformat(),
        "died_at": job.updated_at.isoformat(),
        "reason": job.dead_reason or job.last_error,
        "replayed_at": job.replayed_at.isoformat() if job.replayed_at else None,
    }
    if full:
        data |= {
            "batch_key": job.batch_key or None,
            "tenant": job.tenant or None,
            "last_error": job.last_error,
            "sent_row": job.sent_row,
            "payload": job.payload,
            "event": job.event,
            "raw_body": job.raw_body,
        }
    return data


@dataclass
class ReplayPlan:
    """Which dead letters replay into which jobs, and which stay (with why)."""

    jobs: dict[int, list[NewJob]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)

    @property
    def new_jobs(self) -> list[NewJob]:
        return [new for jobs in self.jobs.values() for new in jobs]


class Replayer:
    """The `reroute` callback of JobStore.replay, over the current config's router."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._names = {s.name for s in router.subscriptions}

    def plan(self, dead: Sequence[Job]) -> ReplayPlan:
        plan = ReplayPlan()
        for job in dead:
            if job.replayed_at is not None:
                plan.skipped[job.id] = "replayed already"
                continue
            if job.state not in (JobState.DEAD, JobState.REJECTED):
                plan.skipped[job.id] = f"not a dead letter (it is {job.state.value})"
                continue
            jobs, why = self._reroute(job)
            if jobs:
                plan.jobs[job.id] = jobs
            else:
                plan.skipped[job.id] = why
        return plan

    def __call__(self, job: Job) -> list[NewJob]:
        return self._reroute(job)[0]

    def _reroute(self, job: Job) -> tuple[list[NewJob], str]:
        if job.state is JobState.REJECTED or job.subscription is None:
            try:
                event = parse_event(_rejected_event(job)).to_dict()
            except (InvalidEventError, orjson.JSONDecodeError) as exc:
                return [], f"the event still breaks the Segment Spec: {exc}"
            routed = self.router.route(event)
            return routed.jobs, "the event matches no enabled subscription"
        if job.subscription not in self._names:
            return [], f"subscription {job.subscription!r} is not an enabled subscription in the config"
        jobs = [new for new in self.router.route(job.event).jobs if new.subscription == job.subscription]
        return jobs, f"the event no longer matches the trigger of subscription {job.subscription!r}"


def _rejected_event(job: Job) -> Any:
    if job.event:
        return job.event
    return parse_json(job.raw_body or "null")
