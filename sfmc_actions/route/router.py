"""Route one event through every enabled subscription: match the trigger, map, validate, pick the batch key.

Each match becomes a `NewJob` holding the raw event and the validated payload (DESIGN.md "Route at ingest,
keep the raw event"). A mapping or payload that fails becomes a job stored dead with Segment's message, so
nothing accepted disappears silently. Events matching nothing are only counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sfmc_actions.errors import MappingError, PayloadValidationError
from sfmc_actions.queue.jobs import NewJob
from sfmc_actions.route.subscriptions import Subscription
from sfmc_actions.sfmc.actions.audience_exit import row_order_key

BATCHING_ACTIONS = frozenset(
    {"dataExtension", "contactDataExtension", "dataExtensionV2", "contactDataExtensionV2", "asyncDataExtension"}
)


@dataclass(frozen=True)
class Routed:
    jobs: list[NewJob]
    unmatched: bool  # no enabled subscription's trigger matched


class Router:
    """Routes through the enabled subscriptions of every destination: an event may make jobs for several.

    `tenants` names the SFMC tenant of each destination's jobs (by destination name), or one for all.
    """

    def __init__(self, subscriptions: Iterable[Subscription], tenants: str | Mapping[str, str]) -> None:
        self.subscriptions = [s for s in subscriptions if s.enabled]
        self.tenants = tenants

    def tenant(self, destination: str) -> str:
        return self.tenants if isinstance(self.tenants, str) else self.tenants[destination]

    def route(self, event: dict[str, Any]) -> Routed:
        jobs = [self.job(s, event) for s in self.subscriptions if s.trigger.matches(event)]
        return Routed(jobs, unmatched=not jobs)

    def route_many(self, events: Sequence[dict[str, Any]]) -> tuple[list[NewJob], int]:
        """Jobs for all events, and how many events matched no subscription."""
        jobs: list[NewJob] = []
        unmatched = 0
        for event in events:
            routed = self.route(event)
            jobs.extend(routed.jobs)
            unmatched += routed.unmatched
        return jobs, unmatched

    def job(self, subscription: Subscription, event: dict[str, Any]) -> NewJob:
        action = subscription.action
        message_id = event.get("messageId")
        payload: Any = None
        tenant = self.tenant(subscription.destination)
        try:
            payload = subscription.mapping.resolve(event)
            payload = subscription.schema.validate(payload, validation_mode(action.key, payload))
            target = action.target(payload, subscription.hook_outputs)
        except (MappingError, PayloadValidationError) as exc:
            return NewJob(
                subscription.name,
                action.key,
                f"{action.key}:invalid",
                tenant,
                str(message_id) if message_id is not None else None,
                event,
                payload,
                dead_reason=str(exc),
                destination=subscription.destination,
            )
        # With on_audience_exit: delete, an exit deletes the row an earlier enter writes: the queue keeps each row's
        # jobs in the order accepted, so an exit never overtakes an enter still waiting (nor an enter an exit).
        ordered = subscription.on_audience_exit == "delete"
        return NewJob(
            subscription.name,
            action.key,
            f"{action.key}:{target}",
            tenant,
            str(message_id) if message_id is not None else None,
            event,
            payload,
            order_key=row_order_key(action, payload, subscription.hook_outputs) if ordered else None,
            destination=subscription.destination,
        )


def validation_mode(action_key: str, payload: object) -> Literal["single", "batch"]:
    """Segment validates with performBatch's rules only when the action batches and the mapping enables it.

    The difference is root-level "" stripping (segment-runtime.md §3.3), e.g. `key: ""` in a mapping.
    """
    if action_key in BATCHING_ACTIONS and isinstance(payload, dict) and payload.get("enable_batching") is True:
        return "batch"
    return "single"
