"""Replaying dead letters: each one's raw event re-routed through the CURRENT config.

Replay re-routes each dead job's raw event through the current subscriptions (DESIGN.md "Route at ingest, keep
the raw event"), so a fixed mapping or payload applies, in one store transaction (JobStore.replay). It re-routes
through the job's OWN subscription only, its trigger checked again: routing through every subscription would
send the event a second time to the subscriptions that delivered it fine. Rejected events (which never reached
a subscription) go through all of them, once they pass the Segment Spec checks. A dead letter that would
produce nothing (its subscription is gone or disabled, its trigger no longer matches, the event still breaks
the Spec) is left where it is and reported, never marked replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.errors import InvalidEventError
from sfmc_actions.events import parse_event
from sfmc_actions.js.values import parse_json
from sfmc_actions.queue.jobs import Job, JobState, NewJob
from sfmc_actions.route.router import Router


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
        self._names = {(s.destination, s.name) for s in router.subscriptions}

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
        # Through the current config of the job's own destination: its subscription there, its settings' tenant.
        of = "" if job.destination == DEFAULT_DESTINATION else f" of destination {job.destination!r}"
        if (job.destination, job.subscription) not in self._names:
            return [], f"subscription {job.subscription!r}{of} is not an enabled subscription in the config"
        jobs = [
            new
            for new in self.router.route(job.event).jobs
            if new.subscription == job.subscription and new.destination == job.destination
        ]
        return jobs, f"the event no longer matches the trigger of subscription {job.subscription!r}{of}"


def _rejected_event(job: Job) -> Any:
    if job.event:
        return job.event
    return parse_json(job.raw_body or "null")
