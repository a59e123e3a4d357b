"""The PostgreSQL side of the store: a connection pool in the store's own schema, migrations, and the
LISTEN connection that wakes idle workers when jobs arrive (NOTIFY is sent when an enqueue commits).

Every table lives in one schema (default `sfmc_actions`, set through `search_path`), so the service can
share a database with other applications and each test can use, then drop, its own schema.
"""

from __future__ import annotations

import asyncio
import re

import asyncpg

from sfmc_actions.errors import StoreError
from sfmc_actions.queue.migrations import check_not_newer, load_migrations

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
CREATE_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"""
SELECT_MIGRATIONS = "SELECT version FROM schema_migrations"
INSERT_MIGRATION = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"
# Transaction-scoped advisory lock: released by commit, rollback or a dropped connection alike.
ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(hashtext($1))"


class PostgresDatabase:
    def __init__(self, dsn: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> None:
        if not SCHEMA_NAME.match(schema):
            raise StoreError(
                f"invalid PostgreSQL schema name {schema!r}: use lower-case letters, digits and underscores, "
                "starting with a letter or underscore (at most 63 characters)"
            )
        self._dsn = dsn
        self.schema = schema
        self.channel = f"{schema}_jobs"  # NOTIFY channel, per schema so isolated stores do not wake each other
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        # Waiters that find no listener open one at a time: two opening at once would leak one connection.
        self._listen_lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("the PostgreSQL job store is not connected (or was closed)")
        return self._pool

    def lock_key(self, purpose: str) -> str:
        """Text hashed into an advisory lock id: per schema, so isolated stores never block each other."""
        return f"sfmc_actions:{self.schema}:{purpose}"

    async def connect(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=self._min_size,
                max_size=self._max_size,
                server_settings={"search_path": self.schema},
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # asyncpg's messages name host, user and database, never the password.
            raise StoreError(f"cannot connect to the PostgreSQL job store: {exc}") from exc

    async def migrate(self) -> None:
        known = load_migrations("postgres")
        async with self.pool.acquire() as conn, conn.transaction():
            # Lock first: CREATE SCHEMA IF NOT EXISTS alone races when two processes start at once.
            await conn.execute(ADVISORY_LOCK, self.lock_key("migrate"))
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await conn.execute(CREATE_MIGRATIONS)
            applied = {row[0] for row in await conn.fetch(SELECT_MIGRATIONS)}
            check_not_newer(applied, known, f"PostgreSQL schema {self.schema!r}")
            for migration in known:
                if migration.version not in applied:
                    await conn.execute(migration.sql)
                    await conn.execute(INSERT_MIGRATION, migration.version, migration.name)

    def wake_local(self) -> None:
        self._wake.set()

    async def wait(self, timeout: float) -> bool:
        """Until a NOTIFY (or a local enqueue) arrives: True; or `timeout` seconds pass: False."""
        if not await self._listening():
            await asyncio.sleep(min(timeout, 1.0))  # no listener right now: degrade to polling
            return False
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return False
        self._wake.clear()
        return True

    async def _listening(self) -> bool:
        async with self._listen_lock:
            if self._listener is not None and not self._listener.is_closed():
                return True
            try:
                self._listener = await asyncpg.connect(self._dsn)
                await self._listener.add_listener(self.channel, lambda *_: self._wake.set())
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                self._listener = None
                return False
            self._wake.set()  # notifications may have been missed while not listening: look once
            return True

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
