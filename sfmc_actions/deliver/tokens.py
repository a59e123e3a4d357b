"""The job store as the SFMC client's token cache: one OAuth token per tenant for every worker sharing a store.

SFMC asks clients to reuse a token for its ~20 minute life rather than request one per call (sfmc-rest-api.md
§1). With PostgreSQL, every process on every machine shares the store's token row and refresh lock; with
SQLite, every process on the machine does. `SfmcAuth` sees a `LockingTokenCache` and refreshes under the
lock, re-reading the shared row first, so N workers whose token expires together make one token request.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime

from pydantic import SecretStr

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.queue.jobs import SharedToken
from sfmc_actions.queue.store import JobStore


class StoreTokenCache:
    """Adapts `JobStore.get_shared_token` / `put_shared_token` / `refresh_lock` to sfmc.auth.LockingTokenCache.

    Each destination has its own token row and refresh lock (`destination` prefixes the key; the top-level form's
    `default` keeps the plain key): two destinations never share a token, even on one installed package, so a
    destination whose secret SFMC refuses cannot ride on another's token, and one destination's refresh never
    waits for another's.
    """

    def __init__(self, store: JobStore, destination: str = DEFAULT_DESTINATION) -> None:
        self._store = store
        self._prefix = "" if destination == DEFAULT_DESTINATION else f"{destination}:"

    def __repr__(self) -> str:
        return f"StoreTokenCache({self._store!r}, prefix={self._prefix!r})"

    async def get(self, tenant_key: str) -> SharedToken | None:
        return await self._store.get_shared_token(self._prefix + tenant_key)

    async def put(self, tenant_key: str, token: SecretStr, expires_at: datetime) -> None:
        await self._store.put_shared_token(self._prefix + tenant_key, token, expires_at)

    def refresh_lock(self, tenant_key: str, timeout: float) -> AbstractAsyncContextManager[None]:
        return self._store.refresh_lock(self._prefix + tenant_key, timeout)
