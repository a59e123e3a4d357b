"""`on_audience_exit: delete`: when a contact leaves an Engage audience, delete its row instead of updating it.

Segment only flips the audience column to false when a contact exits an Engage audience or computed trait.
With `on_audience_exit: delete` (data extension actions only) an exit deletes the row by primary key
(row_delete.py, SOAP Delete of DataExtensionObject), batched per data extension.

An event is an Engage audience exit exactly when Segment's actions-core says its audience membership is false
(`engageAudienceMembership`): `context.personas.computation_class` is `audience` or `journey_step`,
`context.personas.computation_key` names the audience, and that key is `false` in `traits` (identify) or
`properties` (track). See segment-runtime.md §8.3.

    exits = exits_for([job.event for job in jobs], subscription.on_audience_exit)
    outcomes = await send_with_exits(action, client, payloads, hook_outputs, exits)

Order inside one send: an exit never overtakes an earlier enter of the same row, nor an enter an earlier exit.
The payloads are cut into phases where that could happen (the same data extension and primary key as an
operation of the other kind already in the phase); phases go one after the other, in order. A row whose
operation was not done (an outcome to retry) has its later operations in the send retried too, unsent: they
must not overtake it. Across sends, the queue keeps the order: each job carries `row_order_key` (its row) and
waits while an earlier job of the same row is still waiting (the job store's row_order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from sfmc_actions.errors import PayloadValidationError
from sfmc_actions.sfmc.actions.base import Action, HookOutputs, Payload
from sfmc_actions.sfmc.actions.row_delete import DeletesRows
from sfmc_actions.sfmc.outcomes import Dead, Outcome, Retry

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

OnAudienceExit = Literal["update", "delete"]
ENGAGE_CLASSES = ("audience", "journey_step")
WAITING = "not sent: an earlier change of the same row in this batch was not done yet, and it must not be overtaken"
WAIT_SECONDS = 1.0


def audience_membership(event: Mapping[str, Any]) -> bool | None:
    """Engage's audience membership of a raw event: True (entered), False (exited) or None (not an audience event)."""
    context = event.get("context")
    personas = context.get("personas") if isinstance(context, Mapping) else None
    if not isinstance(personas, Mapping) or personas.get("computation_class") not in ENGAGE_CLASSES:
        return None
    key = personas.get("computation_key")
    if not isinstance(key, str) or not key:
        return None
    kind = event.get("type")
    holder = event.get("traits") if kind == "identify" else event.get("properties") if kind == "track" else None
    value = holder.get(key) if isinstance(holder, Mapping) else None
    return value if isinstance(value, bool) else None


def is_audience_exit(event: Mapping[str, Any]) -> bool:
    return audience_membership(event) is False


def exits_for(events: Sequence[Mapping[str, Any]], on_audience_exit: OnAudienceExit) -> list[bool]:
    """Which of a batch's events delete their row: none unless the subscription says `on_audience_exit: delete`."""
    return [on_audience_exit == "delete" and is_audience_exit(event) for event in events]


async def send_with_exits(
    action: Action,
    client: SfmcClient,
    payloads: Sequence[Payload],
    hook_outputs: HookOutputs | None,
    exits: Sequence[bool],
) -> list[Outcome]:
    """Upsert the payloads whose `exits` is false and delete the rows of the others; one outcome per payload."""
    if len(exits) != len(payloads):
        raise ValueError(f"{len(exits)} exit flags for {len(payloads)} payloads")
    if not any(exits):
        return await action.send(client, payloads, hook_outputs)
    outcomes: list[Outcome | None] = [None] * len(payloads)
    if not isinstance(action, DeletesRows):  # config validation prevents this; the exits cannot be sent
        reason = f"action {action.key} cannot delete rows: on_audience_exit: delete is for the data extension actions"
        kept = [i for i, gone in enumerate(exits) if not gone]
        for i, outcome in zip(kept, await action.send(client, [payloads[i] for i in kept], hook_outputs), strict=True):
            outcomes[i] = outcome
        return [o if o is not None else Dead(reason, dict(p)) for o, p in zip(outcomes, payloads, strict=True)]
    identities = [_identity(action, p, hook_outputs) for p in payloads]
    undone: set[tuple[str, ...]] = set()  # rows with an operation to retry: their later ones wait
    for phase in _phases(identities, exits):
        for indexes, send in ((phase[0], action.send), (phase[1], action.delete)):
            ready = [i for i in indexes if identities[i] is None or identities[i] not in undone]
            for i in set(indexes) - set(ready):
                outcomes[i] = Retry(WAITING, WAIT_SECONDS)
            if not ready:
                continue
            for i, outcome in zip(ready, await send(client, [payloads[i] for i in ready], hook_outputs), strict=True):
                outcomes[i] = outcome
                identity = identities[i]
                if isinstance(outcome, Retry) and identity is not None:
                    undone.add(identity)
    return [o if o is not None else Dead("internal error: no outcome") for o in outcomes]


def row_order_key(action: Action, payload: Payload, hook_outputs: HookOutputs | None) -> str | None:
    """The row a payload writes or deletes, as a short stable key (None when it has no target): the job store keeps
    jobs with the same key in the order they were accepted."""
    identity = _identity(action, payload, hook_outputs)
    if identity is None:
        return None
    return hashlib.blake2b("\x1f".join(identity).encode(), digest_size=16).hexdigest()


def _identity(action: Action, payload: Payload, hook_outputs: HookOutputs | None) -> tuple[str, ...] | None:
    """The row a payload writes: its target and primary key values, compared without case (as SFMC, §8)."""
    try:
        target = action.target(payload, hook_outputs)
    except PayloadValidationError:
        return None
    keys = payload.get("keys")
    pairs = sorted((str(k).lower(), str(v).lower()) for k, v in keys.items()) if isinstance(keys, Mapping) else []
    return (target.lower(), *(f"{k}={v}" for k, v in pairs))


def _phases(identities: Sequence[tuple[str, ...] | None], exits: Sequence[bool]) -> list[tuple[list[int], list[int]]]:
    phases: list[tuple[list[int], list[int]]] = [([], [])]
    seen: tuple[set[Any], set[Any]] = (set(), set())  # identities upserted / deleted in the current phase
    for index, (identity, gone) in enumerate(zip(identities, exits, strict=True)):
        mine, other = (1, 0) if gone else (0, 1)
        if identity is not None and identity in seen[other]:
            phases.append(([], []))
            seen = (set(), set())
        phases[-1][mine].append(index)
        if identity is not None:
            seen[mine].add(identity)
    return phases
