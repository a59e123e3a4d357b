"""Each target data extension's fields, fetched once and kept for `ttl` (10 minutes), per SfmcClient.

    schema = await client.schemas.schema(client, "key:Orders")    # None: unknown, send without checking

A `key:K` target is found with `GET /data/v1/customobjects?$search=K` (the key must match exactly, any case: the
search also matches names and descriptions) and its fields read with `GET /data/v1/customobjects/{id}/fields`;
an `id:` target needs only the second call. When the fields cannot be fetched (no Data Extensions Read
permission, SFMC down, no such data extension) the answer is None for `failure_ttl` (1 minute): rows are sent
unchecked, as before, and SFMC's own answer decides. `invalidate` drops an entry at once: the actions call it
when SFMC answers that a column does not exist, so a column added meanwhile is seen on the next send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sfmc_actions.errors import DeliveryError, PermanentError
from sfmc_actions.sfmc.data_extensions import Column
from sfmc_actions.sfmc.schema import DataExtensionSchema

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

log = logging.getLogger(__name__)

TTL = 600.0  # "refreshed every 10 minutes"
FAILURE_TTL = 60.0
MAX_SEARCH_PAGES = 5


@dataclass
class _Entry:
    schema: DataExtensionSchema | None
    fetched_at: float


class FieldCache:
    def __init__(self, ttl: float = TTL, failure_ttl: float = FAILURE_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.failure_ttl, self._clock = ttl, failure_ttl, clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0  # fetch attempts (each one or two SFMC calls), for tests and benchmarks
        self.customer_keys: dict[str, str] = {}  # id: target -> external key (SOAP names a DE by its key)

    async def schema(self, client: SfmcClient, target: str) -> DataExtensionSchema | None:
        entry = self._fresh(target)
        if entry is not None:
            return entry.schema
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:  # concurrent sends to one target fetch once
            entry = self._fresh(target)
            if entry is None:
                entry = self._entries[target] = _Entry(await self._fetch(client, target), self._clock())
            return entry.schema

    def age(self, target: str) -> float | None:
        """Seconds since the target's fields were fetched (None: not cached)."""
        entry = self._entries.get(target)
        return None if entry is None else self._clock() - entry.fetched_at

    def invalidate(self, target: str) -> None:
        self._entries.pop(target, None)

    def _fresh(self, target: str) -> _Entry | None:
        entry = self._entries.get(target)
        if entry is None:
            return None
        ttl = self.ttl if entry.schema is not None else self.failure_ttl
        return entry if self._clock() - entry.fetched_at < ttl else None

    async def _fetch(self, client: SfmcClient, target: str) -> DataExtensionSchema | None:
        self.fetches += 1
        try:
            schema = await fetch_schema(client, target)
        except DeliveryError as error:
            log.info("cannot read the fields of %s (%s): rows to it are sent unchecked", target, error)
            return None
        if schema is None:
            log.info("no data extension %s found: rows to it are sent unchecked", target)
        return schema


async def fetch_schema(client: SfmcClient, target: str) -> DataExtensionSchema | None:
    """The fields of a `key:` or `id:` target now; None when SFMC has no such data extension. Raises
    DeliveryError when SFMC cannot be asked (permissions, throttling, network)."""
    kind, _, value = target.partition(":")
    if kind == "key":
        found = await _find_by_key(client, value)
        if found is None:
            return None
        de_id, name, key = found
    elif kind == "id":
        de_id, name, key = value, None, None
    else:
        return None
    try:
        body = await client.get_data_extension_fields(de_id)
    except PermanentError as error:
        if error.status == 404:
            return None
        raise
    fields = body.get("fields")
    columns = [Column.from_api(f) for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []
    return DataExtensionSchema(str(body.get("id") or de_id), columns, key=key, name=name) if columns else None


async def _find_by_key(client: SfmcClient, key: str) -> tuple[str, str | None, str] | None:
    """(id, name, key) of the data extension whose external key is `key` (any case), by `$search`."""
    for page in range(1, MAX_SEARCH_PAGES + 1):
        body = await client.search_data_extensions(key, page)
        items = body.get("items")
        items = items if isinstance(items, list) else []
        for item in items:
            if isinstance(item, dict) and str(item.get("key", "")).lower() == key.lower() and item.get("id"):
                return str(item["id"]), str(item.get("name") or "") or None, str(item["key"])
        count, size = body.get("count"), body.get("pageSize")
        if not items or not isinstance(count, int) or not isinstance(size, int) or page * size >= count:
            return None
    return None
