"""Rows SFMC would refuse, caught before sending: the data extension actions' use of schema.py and field_cache.py.

    send, refused = await screen(client, target, rows, check_keyed_row)   # indexes to send; Dead outcomes
    forget_if_columns_changed(client, target, outcomes)                  # after SFMC answered

A refused row is dead with SFMC's words, marked `caught_before_sending`, and costs no request. A row refused
only because a column is unknown is refused on fields at most REFRESH_AFTER seconds old: older ones are fetched
again first, so a column added in SFMC a moment ago never gets a row refused (never stricter than SFMC).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sfmc_actions.sfmc.outcomes import Dead, Outcome
from sfmc_actions.sfmc.schema import AT_LEAST_ONE, DataExtensionSchema

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

Check = Callable[[DataExtensionSchema, Mapping[str, Any]], list[str]]
REFRESH_AFTER = 60.0
_UNKNOWN_COLUMN = ("does not exist", AT_LEAST_ONE)


def _unknown_column(message: str) -> bool:
    return any(marker in message for marker in _UNKNOWN_COLUMN)


def caught(problems: list[str], schema: DataExtensionSchema) -> str:
    return (
        "; ".join(problems) + f" (caught before sending: SFMC would refuse this row, going by the fields of data "
        f"extension {schema.label}; no request was made)"
    )


async def screen(
    client: SfmcClient, target: str, rows: Sequence[Mapping[str, Any]], check: Check
) -> tuple[list[int], dict[int, Dead]]:
    """The indexes of `rows` to send, and a Dead outcome for each refused one. Unchecked without fields."""
    cache = client.schemas
    schema = await cache.schema(client, target) if cache is not None else None
    if cache is None or schema is None:
        return list(range(len(rows))), {}
    problems = [check(schema, row) for row in rows]
    stale = (cache.age(target) or 0.0) > REFRESH_AFTER
    if stale and any(_unknown_column(p) for found in problems for p in found):
        cache.invalidate(target)
        schema = await cache.schema(client, target)
        if schema is None:
            return list(range(len(rows))), {}
        problems = [check(schema, row) for row in rows]
    refused = {
        i: Dead(caught(found, schema), dict(rows[i]), caught_before_sending=True)
        for i, found in enumerate(problems)
        if found
    }
    return [i for i in range(len(rows)) if i not in refused], refused


def forget_if_columns_changed(client: SfmcClient, target: str, outcomes: Sequence[Outcome | None]) -> None:
    """SFMC said a column does not exist: the cached fields may be out of date, so read them again next time."""
    if client.schemas is not None and any(
        isinstance(o, Dead) and not o.caught_before_sending and _unknown_column(o.error) for o in outcomes
    ):
        client.schemas.invalidate(target)
