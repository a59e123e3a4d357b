"""What every SFMC action is: Segment's metadata and fields, a batch target, and `send` with per-input outcomes.

    action.key, .title, .description     Segment's partnerAction key, title and description
    action.default_trigger               Segment's defaultSubscription (FQL) or None
    action.fields                        Segment's field definitions (sfmc/fields.py)
    action.batch_size                    most inputs per SFMC request
    action.idempotent                    whether sending an input twice does no harm (upserts: yes)
    action.hooks                         hook names whose outputs the action reads (V2: the data extension id)
    action.target(payload, hook_outputs) where the payload goes ("key:Orders", "id:<guid>", ...): the batch key
    await action.send(client, payloads, hook_outputs) -> list[Outcome], one per payload, aligned by index
    action.mapping_problems(mapping)     what is wrong with a subscription's mapping before any event arrives

`payloads` are mapped AND validated payloads (PayloadSchema.validate), as Segment's perform/performBatch get them.
`hook_outputs` is `{hook name: {"inputs": ..., "outputs": ...}}`, read from the mapping's hook keys exactly as
Segment stores them (segment-runtime.md §8.1).
"""

from __future__ import annotations

import asyncio
import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from sfmc_actions.errors import BatchSizeError, DeliveryError, PayloadValidationError
from sfmc_actions.sfmc.fields import Field
from sfmc_actions.sfmc.outcomes import Dead, Outcome, outcome_for

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

Payload = Mapping[str, Any]
HookOutputs = Mapping[str, Any]
HOOKS = ("onMappingSave", "retlOnMappingSave")

# Segment's messages, verbatim (sfmc-operations.ts upsertRows; V2 actions' perform).
NO_KEY_OR_ID = (
    "In order to send an event to a data extension either Data Extension ID or Data Extension Key must be defined."
)
NO_DATA_EXTENSION = "No Data Extension Connected"


@dataclass(frozen=True, eq=False, repr=False)
class Action(ABC):
    key: str
    title: str
    description: str
    fields: Mapping[str, Field]
    default_trigger: str | None = None
    batch_size: int = 1
    hooks: tuple[str, ...] = ()
    # Upserts (rows, contacts) leave the same state however often they are sent, so a request whose answer was
    # lost is simply resent. An action for which that is false is never resent blindly (deliver/worker.py).
    idempotent: bool = True

    @abstractmethod
    def target(self, payload: Payload, hook_outputs: HookOutputs | None = None) -> str:
        """The resolved destination of one payload. Raises PayloadValidationError (Segment's message) if none."""

    @abstractmethod
    async def send(
        self, client: SfmcClient, payloads: Sequence[Payload], hook_outputs: HookOutputs | None = None
    ) -> list[Outcome]:
        """Deliver the payloads; one outcome per payload, in input order. Never raises for SFMC's answers."""

    def sent(self, payload: Payload) -> object:
        """What goes on the wire for one payload (reported with a Dead outcome)."""
        return dict(payload)

    def describe(self, payload: Payload) -> str:
        """What sending one payload does, for messages about it ("the journey entry of contact 'u1' ...")."""
        return f"the {self.title} request"

    def mapping_problems(self, mapping: Mapping[str, Any]) -> list[str]:
        return []

    def with_batch_size(self, batch_size: int) -> Self:
        if batch_size < 1:
            raise BatchSizeError(f"batch_size must be at least 1, not {batch_size}")
        return dataclasses.replace(self, batch_size=batch_size)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r} batch_size={self.batch_size}>"


def payload_target(payload: Payload) -> str:
    """V1 data extension actions: `key` wins over `id` when both are set, as in Segment's upsertRows."""
    key, de_id = payload.get("key"), payload.get("id")
    if key:
        return f"key:{key}"
    if de_id:
        return f"id:{de_id}"
    raise PayloadValidationError(NO_KEY_OR_ID)


def hook_data_extension_id(hook_outputs: HookOutputs | None) -> str | None:
    """`onMappingSave.outputs.id`, else `retlOnMappingSave.outputs.id` (JavaScript `||`: empty means absent)."""
    for hook in HOOKS:
        saved = (hook_outputs or {}).get(hook)
        outputs = saved.get("outputs") if isinstance(saved, Mapping) else None
        de_id = outputs.get("id") if isinstance(outputs, Mapping) else None
        if de_id:
            return str(de_id)
    return None


def hook_target(hook_outputs: HookOutputs | None) -> str:
    de_id = hook_data_extension_id(hook_outputs)
    if de_id is None:
        raise PayloadValidationError(NO_DATA_EXTENSION)
    return f"id:{de_id}"


def hook_mapping_problems(mapping: Mapping[str, Any]) -> list[str]:
    if hook_data_extension_id({k: mapping.get(k) for k in HOOKS}) is None:
        return [
            f"{NO_DATA_EXTENSION}: this action writes to the data extension whose id is stored in the mapping as "
            "onMappingSave: {outputs: {id: <data extension id>}} (find or create it with "
            "`sfmc-actions data-extensions list` / `create`)"
        ]
    return []


def group_by_target(
    action: Action, payloads: Sequence[Payload], hook_outputs: HookOutputs | None, sent: Sequence[object]
) -> tuple[dict[str, list[int]], list[Outcome | None]]:
    """The payloads' indexes per resolved target, and one outcome slot per payload: Dead already for a payload
    that resolves to no target (`sent[i]` is what it would have sent). Segment V1 sends a whole batch to the
    data extension of its first event; we send each event to its own."""
    outcomes: list[Outcome | None] = [None] * len(payloads)
    groups: dict[str, list[int]] = {}
    for index, payload in enumerate(payloads):
        try:
            groups.setdefault(action.target(payload, hook_outputs), []).append(index)
        except PayloadValidationError as error:
            outcomes[index] = Dead(str(error), sent[index])
    return groups, outcomes


@dataclass(frozen=True, eq=False, repr=False)
class PerEventAction(Action):
    """One SFMC request per payload (contacts, journey events), a few at a time."""

    concurrency: int = 4

    def target(self, payload: Payload, hook_outputs: HookOutputs | None = None) -> str:
        return self.key

    @abstractmethod
    async def send_one(self, client: SfmcClient, payload: Payload) -> Outcome: ...

    async def send(
        self, client: SfmcClient, payloads: Sequence[Payload], hook_outputs: HookOutputs | None = None
    ) -> list[Outcome]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(payload: Payload) -> Outcome:
            async with gate:
                try:
                    return await self.send_one(client, payload)
                except DeliveryError as error:
                    return outcome_for(error, self.sent(payload))
                except PayloadValidationError as error:
                    return Dead(str(error), self.sent(payload))

        return list(await asyncio.gather(*(one(p) for p in payloads)))
