"""OAuth token sharing on PostgreSQL: all workers on all machines use one token per tenant.

SFMC asks for one token per ~20 minutes per installed package (sfmc-rest-api.md); RudderStack asks for one
per event. The refresh lock is a transaction-scoped advisory lock, released by commit or by the holder's
connection dropping, so a crashed worker never blocks the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from pydantic import SecretStr

from sfmc_actions.queue.jobs import SharedToken
from sfmc_actions.queue.postgres_db import ADVISORY_LOCK, PostgresDatabase

GET_TOKEN = "SELECT token, expires_at FROM shared_tokens WHERE tenant_key = $1"
PUT_TOKEN = """
INSERT INTO shared_tokens (tenant_key, token, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (tenant_key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at"""


class PostgresTokens:
    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db
        self._local_locks: dict[str, asyncio.Lock] = {}

    async def get(self, tenant_key: str) -> SharedToken | None:
        row = await self._db.pool.fetchrow(GET_TOKEN, tenant_key)
        return None if row is None else SharedToken(SecretStr(row["token"]), row["expires_at"])

    async def put(self, tenant_key: str, token: SecretStr | str, expires_at: datetime) -> None:
        value = token.get_secret_value() if isinstance(token, SecretStr) else token
        await self._db.pool.execute(PUT_TOKEN, tenant_key, value, expires_at)

    @asynccontextmanager
    async def refresh_lock(self, tenant_key: str, timeout: float) -> AsyncIterator[None]:
        message = f"waited {timeout}s for the token refresh lock of tenant {tenant_key!r}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # This process's tasks queue here, so one pool connection at most waits on the database lock.
        local = self._local_locks.setdefault(tenant_key, asyncio.Lock())
        try:
            async with asyncio.timeout(timeout):
                await local.acquire()
        except TimeoutError:
            raise TimeoutError(message) from None
        try:
            async with self._db.pool.acquire() as conn, conn.transaction():
                try:
                    await conn.execute(
                        ADVISORY_LOCK,
                        self._db.lock_key(f"token:{tenant_key}"),
                        timeout=max(deadline - loop.time(), 0.001),
                    )
                except TimeoutError:
                    raise TimeoutError(message) from None
                yield
        finally:
            local.release()
