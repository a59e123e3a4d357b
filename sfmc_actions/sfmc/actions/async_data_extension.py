"""`asyncDataExtension` (Send Event asynchronously to Data Extension): async rows API, then polling.

Each payload's `keys` and `values` are merged into one flat item (Segment's generateFlattenedRows; SFMC rejects
`{keys, values}` items here) and sent with `PUT /data/v1/async/dataextensions/{id}/rows` (upsert) in requests of
at most `batch_size` items (SFMC's hard limit is 32,000; Segment's default is 28,000) and 5 MB. All requests are
submitted first, then their jobs are polled together (async_rows.JobWatcher) into one outcome per row.
Segment's published action stops at the 202 and reports every row delivered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from sfmc_actions.errors import BatchSizeError, DeliveryError
from sfmc_actions.js.json_body import encode_json
from sfmc_actions.sfmc.actions.async_rows import Clock, JobWatcher, PollPolicy, Sleep
from sfmc_actions.sfmc.actions.base import (
    HOOKS,
    Action,
    HookOutputs,
    Payload,
    group_by_target,
    hook_mapping_problems,
    hook_target,
)
from sfmc_actions.sfmc.actions.row_delete import DeletesRows
from sfmc_actions.sfmc.fields import (
    ASYNC_BATCH_BYTES,
    ASYNC_BATCH_SIZE,
    ASYNC_ENABLE_BATCHING,
    KEYS,
    VALUES_EVENT,
    dynamic,
)
from sfmc_actions.sfmc.outcomes import Dead, Outcome, outcome_for
from sfmc_actions.sfmc.schema import check_flat_item
from sfmc_actions.sfmc.schema_gate import forget_if_columns_changed, screen

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

MAX_ITEMS = 32_000  # "Maximum batch size for asynchronous API requests: 32,000 objects, hard limit"
DEFAULT_BATCH_SIZE = 28_000
MAX_BYTES = 5_000_000
_ENVELOPE_BYTES = len(b'{"items":[]}')


@dataclass(frozen=True, eq=False, repr=False)
class AsyncRowsAction(Action, DeletesRows):
    batch_size: int = DEFAULT_BATCH_SIZE
    max_bytes: int = MAX_BYTES
    poll: PollPolicy = field(default_factory=PollPolicy)
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic

    def with_batch_size(self, batch_size: int) -> Self:
        if batch_size > MAX_ITEMS:
            raise BatchSizeError(f"SFMC takes at most {MAX_ITEMS} items per async request, not {batch_size}")
        return super().with_batch_size(batch_size)

    def target(self, payload: Payload, hook_outputs: HookOutputs | None = None) -> str:
        return hook_target(hook_outputs)

    def sent(self, payload: Payload) -> dict[str, Any]:
        keys, values = payload.get("keys"), payload.get("values")
        return {**(keys if isinstance(keys, Mapping) else {}), **(values if isinstance(values, Mapping) else {})}

    def mapping_problems(self, mapping: Mapping[str, Any]) -> list[str]:
        return hook_mapping_problems(mapping)

    async def send(
        self, client: SfmcClient, payloads: Sequence[Payload], hook_outputs: HookOutputs | None = None
    ) -> list[Outcome]:
        items = [self.sent(p) for p in payloads]
        groups, outcomes = group_by_target(self, payloads, hook_outputs, items)
        jobs: list[tuple[list[int], str]] = []
        for target, indexes in groups.items():
            keep, refused = await screen(client, target, [items[i] for i in indexes], check_flat_item)
            for position, dead in refused.items():
                outcomes[indexes[position]] = dead
            indexes = [indexes[k] for k in keep]
            for chunk in self._chunks(indexes, items, outcomes):
                try:
                    jobs.append((chunk, await client.put_async_rows(target, [items[i] for i in chunk])))
                except DeliveryError as error:
                    for i in chunk:
                        outcomes[i] = outcome_for(error, items[i])
        watched = await asyncio.gather(
            *(
                JobWatcher(client, request_id, [items[i] for i in chunk], self.poll, self.sleep, self.clock).outcomes()
                for chunk, request_id in jobs
            )
        )
        for (chunk, _), results in zip(jobs, watched, strict=True):
            for index, outcome in zip(chunk, results, strict=True):
                outcomes[index] = outcome
        for target, indexes in groups.items():
            forget_if_columns_changed(client, target, [outcomes[i] for i in indexes])
        return [o if o is not None else Dead("internal error: no outcome") for o in outcomes]

    def _chunks(
        self, indexes: list[int], items: list[dict[str, Any]], outcomes: list[Outcome | None]
    ) -> list[list[int]]:
        """Cut into requests of at most `batch_size` items and `max_bytes` bytes of JSON."""
        chunks: list[list[int]] = []
        current: list[int] = []
        size = _ENVELOPE_BYTES
        for index in indexes:
            item_size = len(encode_json(items[index])) + 1  # the comma
            if item_size + _ENVELOPE_BYTES > self.max_bytes:
                outcomes[index] = Dead(f"the row is {item_size} bytes of JSON, over SFMC's {self.max_bytes}-byte limit")
                continue
            if current and (len(current) >= self.batch_size or size + item_size > self.max_bytes):
                chunks.append(current)
                current, size = [], _ENVELOPE_BYTES
            current.append(index)
            size += item_size
        if current:
            chunks.append(current)
        return chunks


ACTION = AsyncRowsAction(
    key="asyncDataExtension",
    title="Send Event asynchronously to Data Extension",
    description="Upsert event records asynchronously as rows into a data extension in Salesforce Marketing Cloud. "
    "Note that Segment cannot provide real-time delivery confirmation or error tracking for events sent through this "
    "action- That will come in near future",
    fields={
        "keys": dynamic({**KEYS, "required": True}),
        "values": dynamic(VALUES_EVENT),
        "enable_batching": ASYNC_ENABLE_BATCHING,
        "batch_bytes": ASYNC_BATCH_BYTES,
        "batch_size": ASYNC_BATCH_SIZE,
    },
    hooks=HOOKS,
)
