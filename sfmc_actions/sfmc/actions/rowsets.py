"""Data extension rows through the synchronous rowset API, with every good row delivered.

`POST /hub/v1/dataevents/{key:K|id}/rowset` takes `[{keys, values}, ...]` and upserts by primary key. Two things
Segment does that we do better (DESIGN.md "Where Segment falls short"):

* Segment sends a whole batch to the data extension of the FIRST event; rows here are grouped by their own
  resolved target, then cut into requests of at most `batch_size` rows (50: SFMC's documented soft maximum).
* When SFMC rejects a rowset for row errors (400, errorcode 10006 with additionalErrors), Segment fails every
  row with the first message. SFMC does not say which row failed, and its messages are de-duplicated and
  unordered, but it commits the rows before the first bad one and rejects that row and everything after
  (sfmc-rest-api.md §3, partial commits). So the first bad row is found by binary search over prefixes: a prefix
  that is accepted is delivered, one that is rejected contains it. The bad row gets its own message (sent alone
  when the rejection listed several), and the rows after it go on as a new rowset. Upserts by primary key make
  resending safe, and prefixes are resent in the original order, so a key that appears twice ends with its last
  value.
  Cost: about log2(rows) + 2 extra requests per bad row. When the bad row was the first row sent, the next row
  is tried alone before the rest (bad rows come in runs, e.g. every row when a key column is unknown), so a run
  of bad rows costs one request per row.

The search itself does not rely on the partial-commit behaviour: every row is reported delivered only after a
2xx for a request that contained it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfmc_actions.errors import DeliveryError
from sfmc_actions.sfmc.actions.base import (
    NO_KEY_OR_ID,
    Action,
    HookOutputs,
    Payload,
    group_by_target,
    hook_mapping_problems,
    hook_target,
    payload_target,
)
from sfmc_actions.sfmc.actions.row_delete import DeletesRows
from sfmc_actions.sfmc.classify import row_errors
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome, outcome_for
from sfmc_actions.sfmc.schema import check_keyed_row
from sfmc_actions.sfmc.schema_gate import forget_if_columns_changed, screen

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

SYNC_BATCH_SIZE = 50  # "post a maximum of 50 columns and 50 records at a time" (sfmc-rest-api.md §3 Limits)


@dataclass(frozen=True, eq=False, repr=False)
class RowsetAction(Action, DeletesRows):
    """`dataExtension`, `contactDataExtension` (target from the payload's key/id) and their V2 (hook's id)."""

    batch_size: int = SYNC_BATCH_SIZE
    target_from_hook: bool = False

    def target(self, payload: Payload, hook_outputs: HookOutputs | None = None) -> str:
        return hook_target(hook_outputs) if self.target_from_hook else payload_target(payload)

    def sent(self, payload: Payload) -> dict[str, Any]:
        # generateRows: {keys, values}; JSON.stringify drops a missing `values`.
        row = {"keys": payload.get("keys")}
        if payload.get("values") is not None:
            row["values"] = payload["values"]
        return row

    def mapping_problems(self, mapping: Mapping[str, Any]) -> list[str]:
        if self.target_from_hook:
            return hook_mapping_problems(mapping)
        if not mapping.get("key") and not mapping.get("id"):
            return [f"{NO_KEY_OR_ID} Add `key: <external key>` (or `id: <data extension id>`) to the mapping."]
        return []

    async def send(
        self, client: SfmcClient, payloads: Sequence[Payload], hook_outputs: HookOutputs | None = None
    ) -> list[Outcome]:
        rows = [self.sent(p) for p in payloads]
        groups, outcomes = group_by_target(self, payloads, hook_outputs, rows)
        for target, indexes in groups.items():
            # Rows SFMC would refuse are dead before sending (schema_gate.py): the rest go in full rowsets.
            keep, refused = await screen(client, target, [rows[i] for i in indexes], check_keyed_row)
            for position, dead in refused.items():
                outcomes[indexes[position]] = dead
            indexes = [indexes[k] for k in keep]
            for start in range(0, len(indexes), self.batch_size):
                chunk = indexes[start : start + self.batch_size]
                results = await RowsetDelivery(client, target, [rows[i] for i in chunk]).run()
                for index, outcome in zip(chunk, results, strict=True):
                    outcomes[index] = outcome
            forget_if_columns_changed(client, target, [outcomes[i] for i in indexes])
        return [o if o is not None else Dead("internal error: no outcome") for o in outcomes]


class RowsetDelivery:
    """Delivers one rowset to one target, isolating the rows SFMC rejects."""

    def __init__(self, client: SfmcClient, target: str, rows: list[dict[str, Any]]) -> None:
        self._client = client
        self._target = target
        self._rows = rows
        self._out: list[Outcome | None] = [None] * len(rows)

    async def run(self) -> list[Outcome]:
        start, total = 0, len(self._rows)
        dense = False  # the last bad row was the first of the rows sent: the next one may well be bad too
        while start < total:
            if dense:
                error = await self._send(start, start + 1)
                if error is not None and row_errors(error) is None:
                    self._fail_from(start, error)
                    break
                if error is not None:
                    self._out[start] = Dead(row_message(error), self._rows[start])
                dense = error is not None
                start += 1
                continue
            error = await self._send(start, total)
            if error is None:
                break
            if row_errors(error) is None:
                self._fail_from(start, error)
                break
            done = await self._isolate_first_bad(start, total, error)
            if done is None:
                break
            dense = done == start and isinstance(self._out[done], Dead)
            start = done + 1
        return [o or Dead("internal error: no outcome", self._rows[i]) for i, o in enumerate(self._out)]

    async def _send(self, lo: int, hi: int) -> DeliveryError | None:
        """Upsert rows[lo:hi]: None (and Delivered outcomes) on success, else the classified error."""
        try:
            echoed = await self._client.upsert_rowset(self._target, self._rows[lo:hi])
        except DeliveryError as error:
            return error
        for k in range(lo, hi):
            # SFMC echoes the rows; Segment reports response[i], or {} when missing.
            self._out[k] = Delivered(echoed[k - lo] if k - lo < len(echoed) else {})
        return None

    async def _isolate_first_bad(self, lo: int, hi: int, error: DeliveryError) -> int | None:
        """rows[lo:hi] was rejected for row errors. Deliver the rows before the first bad row and give that row
        its outcome; return its index, or None when a non-row error ended the search (rest already marked)."""
        start, end = failed_lo, failed_hi = lo, hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            probe = await self._send(lo, mid)
            if probe is None:
                lo = mid  # the first bad row is further on
                continue
            if row_errors(probe) is None:
                self._fail_from(lo, probe)
                return None
            hi, failed_lo, failed_hi, error = mid, lo, mid, probe
        # The row's own message: SFMC lists the first bad row's errors, so when the smallest rejected range had a
        # single (de-duplicated) message, that is this row's; otherwise send the row alone to learn it.
        narrowed = (failed_lo, failed_hi) != (start, end)  # a probe was rejected too, not just the whole rowset
        if (failed_lo, failed_hi) != (lo, lo + 1) and not (narrowed and len(set(row_errors(error) or [])) == 1):
            alone = await self._send(lo, lo + 1)
            if alone is None:
                return lo  # accepted on its own: the rejection did not repeat
            if row_errors(alone) is None:
                self._fail_from(lo, alone)
                return None
            error = alone
        self._out[lo] = Dead(row_message(error), self._rows[lo])
        return lo

    def _fail_from(self, lo: int, error: DeliveryError) -> None:
        for k in range(lo, len(self._rows)):
            if self._out[k] is None:
                self._out[k] = outcome_for(error, self._rows[k])


def row_message(error: DeliveryError) -> str:
    """One row's refusal: SFMC's row messages first, then the envelope message (names the data extension)."""
    messages = row_errors(error) or []
    envelope = error.body.get("message") if isinstance(error.body, dict) else None
    text = "; ".join(messages)
    return f"{text} [{envelope}]" if envelope else text
