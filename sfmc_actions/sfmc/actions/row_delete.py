"""Deleting data extension rows by primary key (SOAP Delete of DataExtensionObject), one outcome per row.

Rows are grouped per data extension and sent DELETE_BATCH to a request (SOAP's limit for Delete is not
documented; INF). Each row's outcome comes from its SOAP result (matched by OrdinalID, else by position):

* `OK`: delivered;
* an error saying the row was not found: delivered, with a note: the row is already gone, the goal is reached;
* any other error: dead with SFMC's StatusMessage (and ErrorMessage / KeyErrors when given);
* no result for the row: retry (deleting twice is harmless).

SOAP names a data extension by its external key (CustomerKey); an `id:` target's key is read once with
`GET /data/v1/customobjects/{id}` and remembered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sfmc_actions.errors import DeliveryError, PayloadValidationError, PermanentError
from sfmc_actions.sfmc.actions.base import HookOutputs, Payload
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome, Retry, outcome_for
from sfmc_actions.sfmc.soap_delete import DeleteResult

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

DELETE_BATCH = 100
ALREADY_GONE = "the row was not in the data extension: nothing to delete, the goal state is reached"
NO_KEYS = "cannot delete the row: the payload has no primary key values (`keys`)"


class DeletesRows:
    """For the data extension actions (they define `target`): delete each payload's row by its `keys`."""

    def target(self, payload: Payload, hook_outputs: HookOutputs | None = None) -> str:
        raise NotImplementedError

    async def delete(
        self, client: SfmcClient, payloads: Sequence[Payload], hook_outputs: HookOutputs | None = None
    ) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(payloads)
        groups: dict[str, list[int]] = {}
        for index, payload in enumerate(payloads):
            keys = payload.get("keys")
            if not isinstance(keys, Mapping) or not keys:
                outcomes[index] = Dead(NO_KEYS, {"keys": keys})
                continue
            try:
                groups.setdefault(self.target(payload, hook_outputs), []).append(index)
            except PayloadValidationError as error:
                outcomes[index] = Dead(str(error), {"keys": dict(keys)})
        for target, indexes in groups.items():
            rows = [dict(payloads[i]["keys"]) for i in indexes]
            for index, outcome in zip(indexes, await delete_rows(client, target, rows), strict=True):
                outcomes[index] = outcome
        return [o if o is not None else Dead("internal error: no outcome") for o in outcomes]


async def delete_rows(client: SfmcClient, target: str, rows: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    """Delete `rows` (each: primary key column -> value) from one data extension."""
    try:
        customer_key = await _customer_key(client, target)
    except DeliveryError as error:
        return [outcome_for(error, {"keys": dict(row)}) for row in rows]
    outcomes: list[Outcome] = []
    for start in range(0, len(rows), DELETE_BATCH):
        chunk = rows[start : start + DELETE_BATCH]
        try:
            answer = await client.delete_data_extension_rows(customer_key, chunk)
        except DeliveryError as error:
            outcomes += [outcome_for(error, {"keys": dict(row)}) for row in chunk]
            continue
        by_ordinal = {r.ordinal: r for r in answer.results if r.ordinal is not None}
        for position, row in enumerate(chunk):
            result = by_ordinal.get(position) or (answer.results[position] if position < len(answer.results) else None)
            outcomes.append(_outcome(result, answer.overall_status, row))
    return outcomes


def _outcome(result: DeleteResult | None, overall: str, row: Mapping[str, Any]) -> Outcome:
    if result is None:
        if overall.startswith("Error"):  # the whole request was refused: "Error: <why>" and no results
            return Dead(f"SFMC refused the Delete: {overall}", {"keys": dict(row)})
        return Retry(f"SFMC's Delete answer ({overall or 'no status'}) has no result for this row")
    if result.ok:
        return Delivered(result.body())
    if result.row_not_found:
        return Delivered(result.body(), note=ALREADY_GONE)
    return Dead(result.describe(), {"keys": dict(row)})


async def _customer_key(client: SfmcClient, target: str) -> str:
    kind, _, value = target.partition(":")
    if kind == "key":
        return value
    known = client.schemas.customer_keys.get(target) if client.schemas is not None else None
    if known:
        return known
    body = await client.get_data_extension(value)
    key = body.get("key")
    if not key:
        raise PermanentError(f"SFMC gave no external key for data extension {value}, so its rows cannot be deleted")
    if client.schemas is not None:
        client.schemas.customer_keys[target] = str(key)
    return str(key)
