"""OAuth token sharing on SQLite: every worker process on the machine uses one token per tenant.

SFMC asks for one token per ~20 minutes per installed package (sfmc-rest-api.md); Segment's hooks ask for a
new one on every call. SQLite has no advisory locks, so the refresh lock is a row with a holder and an
expiry, taken only when free or expired: a holder that crashed blocks the others for one lease at most.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from pydantic import SecretStr

from sfmc_actions.queue.jobs import SharedToken
from sfmc_actions.queue.sqlite_db import SqliteDatabase, to_time, write_transaction

GET_TOKEN = "SELECT token, expires_at FROM shared_tokens WHERE tenant_key = ?"
PUT_TOKEN = """
INSERT INTO shared_tokens (tenant_key, token, expires_at) VALUES (?, ?, ?)
ON CONFLICT (tenant_key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at"""
TAKE_LOCK = """
INSERT INTO refresh_locks (tenant_key, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (tenant_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE refresh_locks.expires_at <= ?"""
DROP_LOCK = "DELETE FROM refresh_locks WHERE tenant_key = ? AND holder = ?"
LOCK_POLL_SECONDS = 0.05


class SqliteTokens:
    def __init__(self, db: SqliteDatabase, clock: Callable[[], datetime], lock_lease: float) -> None:
        self._db = db
        self._clock = clock
        self._lock_lease = lock_lease  # longer than any token request takes
        self._local_locks: dict[str, asyncio.Lock] = {}

    async def get(self, tenant_key: str) -> SharedToken | None:
        row = await self._db.run(lambda conn: conn.execute(GET_TOKEN, (tenant_key,)).fetchone())
        return None if row is None else SharedToken(SecretStr(row[0]), to_time(row[1]))

    async def put(self, tenant_key: str, token: SecretStr | str, expires_at: datetime) -> None:
        value = token.get_secret_value() if isinstance(token, SecretStr) else token

        def put(conn: sqlite3.Connection) -> None:
            with write_transaction(conn):
                conn.execute(PUT_TOKEN, (tenant_key, value, expires_at.timestamp()))

        await self._db.run(put)

    @asynccontextmanager
    async def refresh_lock(self, tenant_key: str, timeout: float) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        local = self._local_locks.setdefault(tenant_key, asyncio.Lock())  # this process's tasks queue here
        try:
            async with asyncio.timeout(timeout):
                await local.acquire()
        except TimeoutError:
            raise TimeoutError(f"waited {timeout}s for the token refresh lock of tenant {tenant_key!r}") from None
        try:
            holder = uuid.uuid4().hex
            while not await self._db.run(lambda conn: self._take(conn, tenant_key, holder)):
                if loop.time() >= deadline:
                    raise TimeoutError(f"waited {timeout}s for the token refresh lock of tenant {tenant_key!r}")
                await asyncio.sleep(LOCK_POLL_SECONDS)
            try:
                yield
            finally:
                await self._db.run(lambda conn: self._drop(conn, tenant_key, holder))
        finally:
            local.release()

    def _take(self, conn: sqlite3.Connection, tenant_key: str, holder: str) -> bool:
        now = self._clock().timestamp()
        with write_transaction(conn):
            return bool(conn.execute(TAKE_LOCK, (tenant_key, holder, now + self._lock_lease, now)).rowcount)

    @staticmethod
    def _drop(conn: sqlite3.Connection, tenant_key: str, holder: str) -> None:
        with write_transaction(conn):
            conn.execute(DROP_LOCK, (tenant_key, holder))
