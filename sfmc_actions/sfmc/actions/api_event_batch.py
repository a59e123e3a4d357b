"""`apiEvent` with `journey_batching: true`: up to 100 journey entries per `POST /interaction/v1/async/events`.

SFMC's batch endpoint takes `{eventDefinitionKey, members: [{contactKey, data}]}` with up to 100 members and
answers 202 per member, in request order: `eventInstanceId` when the member was queued, or `errorcode` and
`message` when it was not; plus `requestId`, `count` and `notQueuedCount` (enterContactsIntoJourneyInBatches,
DOC). Processing is asynchronous: a queued member may still end `errored`, which only the status endpoint tells
(journey_status.py). So each member's outcome here is:

* queued: Delivered, with its `eventInstanceId` and the batch's `requestId` (journey_status.errored_entries finds
  the ones that end errored; the caller turns those into dead letters);
* refused: Dead with SFMC's message and code;
* the whole request failed: as any failure (outcomes.outcome_for), so a lost answer is a Retry marked in doubt,
  never resent blindly (journey_doubt.resolve_in_doubt settles it from the status endpoint);
* accepted but missing from the answer: in doubt too (SFMC queued the batch; this member's fate is unknown).

Segment's default stays one request per event (api_event.py); this is the option.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from sfmc_actions.errors import BatchSizeError, DeliveryError
from sfmc_actions.sfmc.actions.api_event import JourneyEntry, SendApiEvent
from sfmc_actions.sfmc.actions.base import Action, HookOutputs, Payload
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome, Retry, outcome_for

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

MAX_MEMBERS = 100  # "You can target up to 100 contacts into a journey in a single request." (DOC)
MISSING_MEMBER = (
    "SFMC accepted the batch (requestId {request_id}) but its answer has no entry for this member: it may have been "
    "queued; check the status endpoint before sending it again"
)


@dataclass(frozen=True, eq=False, repr=False)
class BatchedApiEvent(JourneyEntry, Action):
    """The apiEvent action sending its payloads as batch members; `concurrency` batch requests at a time."""

    batch_size: int = MAX_MEMBERS
    idempotent: bool = False  # as single entries: a member SFMC queued twice enters twice
    concurrency: int = 4

    def with_batch_size(self, batch_size: int) -> Self:
        if batch_size > MAX_MEMBERS:
            raise BatchSizeError(
                f"SFMC's batch journey entry takes at most {MAX_MEMBERS} members per request, not {batch_size}"
            )
        return super().with_batch_size(batch_size)

    def member(self, payload: Payload) -> dict[str, Any]:
        """A payload as a batch member: `{contactKey, data}` (the endpoint's documented camelCase)."""
        member: dict[str, Any] = {"contactKey": payload.get("contactKey")}
        if isinstance(payload.get("data"), Mapping):
            member["data"] = dict(payload["data"])
        return member

    async def send(
        self, client: SfmcClient, payloads: Sequence[Payload], hook_outputs: HookOutputs | None = None
    ) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(payloads)
        groups: dict[str, list[int]] = {}
        for index, payload in enumerate(payloads):
            groups.setdefault(str(payload.get("eventDefinitionKey")), []).append(index)
        chunks = [
            (key, indexes[start : start + self.batch_size])
            for key, indexes in groups.items()
            for start in range(0, len(indexes), self.batch_size)
        ]
        gate = asyncio.Semaphore(max(self.concurrency, 1))

        async def one(key: str, chunk: list[int]) -> None:
            async with gate:
                results = await self._send_batch(client, key, [payloads[i] for i in chunk])
            for index, outcome in zip(chunk, results, strict=True):
                outcomes[index] = outcome

        await asyncio.gather(*(one(key, chunk) for key, chunk in chunks))
        return [o if o is not None else Dead("internal error: no outcome") for o in outcomes]

    async def _send_batch(self, client: SfmcClient, key: str, payloads: list[Payload]) -> list[Outcome]:
        members = [self.member(p) for p in payloads]
        try:
            answer = await client.fire_events_batch(key, members)
        except DeliveryError as error:
            return [outcome_for(error, self.sent(p)) for p in payloads]
        request_id = str(answer.get("requestId") or "")
        results = answer.get("members")
        results = results if isinstance(results, list) else []
        outcomes: list[Outcome] = []
        for index, payload in enumerate(payloads):
            result = results[index] if index < len(results) else None
            outcomes.append(self._member_outcome(result, request_id, payload))
        return outcomes

    def _member_outcome(self, result: Any, request_id: str, payload: Payload) -> Outcome:
        if isinstance(result, dict) and result.get("eventInstanceId"):
            return Delivered(
                {"eventInstanceId": result["eventInstanceId"], "requestId": request_id, "status": "queued"}
            )
        if isinstance(result, dict) and (result.get("errorcode") is not None or result.get("message")):
            code = result.get("errorcode")
            message = str(result.get("message") or "SFMC did not queue this member")
            return Dead(f"{message} (errorcode {code})" if code not in (None, "") else message, self.sent(payload))
        return Retry(MISSING_MEMBER.format(request_id=request_id or "unknown"), in_doubt=True)


def batched(action: SendApiEvent) -> BatchedApiEvent:
    """The batched form of an apiEvent action (same key, title and fields), for `journey_batching: true`."""
    return BatchedApiEvent(
        key=action.key,
        title=action.title,
        description=action.description,
        fields=action.fields,
        default_trigger=action.default_trigger,
        hooks=action.hooks,
        concurrency=action.concurrency,
    )
