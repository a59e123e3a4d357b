"""`apiEvent` (Send API Event): `POST /interaction/v1/events`, one request per event.

The body is the payload as Segment sends it: camelCase `eventDefinitionKey`, `contactKey`, `data` (apiEvent/index.ts;
SFMC documents PascalCase but binds names case-insensitively, and Segment has sent camelCase since 2022).
This is Segment's behaviour and the default; `journey_batching: true` sends up to 100 entries per request through
SFMC's batch endpoint instead (api_event_batch.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sfmc_actions.sfmc.actions.base import HookOutputs, Payload, PerEventAction
from sfmc_actions.sfmc.fields import CONTACT_KEY_API_EVENT, EVENT_DATA, EVENT_DEFINITION_KEY
from sfmc_actions.sfmc.outcomes import Delivered, Outcome

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient


class JourneyEntry:
    """What both forms of apiEvent share (this one and api_event_batch.py): the batch key and the description."""

    def target(self, payload: Payload, hook_outputs: HookOutputs | None = None) -> str:
        return f"event:{payload.get('eventDefinitionKey')}"

    def describe(self, payload: Payload) -> str:
        return (
            f"the journey entry of contact {payload.get('contactKey')!r} "
            f"(event definition {payload.get('eventDefinitionKey')!r})"
        )


@dataclass(frozen=True, eq=False, repr=False)
class SendApiEvent(JourneyEntry, PerEventAction):
    # SFMC enters the contact into the journey once per request it processes, and keeps no request id to
    # de-duplicate on: sending one event twice enters the contact twice.
    idempotent: bool = False

    async def send_one(self, client: SfmcClient, payload: Payload) -> Outcome:
        return Delivered(await client.fire_event(payload))


ACTION = SendApiEvent(
    key="apiEvent",
    title="Send API Event",
    description="Send events into an existing Event Definition in Salesforce Marketing Cloud.",
    fields={
        "eventDefinitionKey": EVENT_DEFINITION_KEY,
        "contactKey": CONTACT_KEY_API_EVENT,
        "data": EVENT_DATA,
    },
)
