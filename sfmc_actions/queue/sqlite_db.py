"""One SQLite connection used from one dedicated thread, so the event loop never blocks on disk.

Durability: WAL with `synchronous=NORMAL`. A commit is written to the WAL (the OS's page cache) before the
call returns, so a kill -9 of any process loses nothing committed; only an OS crash or power loss can lose
the last transactions since a checkpoint. `synchronous=FULL` (`?synchronous=full` in the URL) fsyncs every
commit and also survives power loss, at a large cost in events/s (bench/queue.py measures both).

Every write is a `BEGIN IMMEDIATE` transaction: writers of any process queue on SQLite's one write lock
(`busy_timeout`) instead of failing with SQLITE_BUSY when a read transaction would have to upgrade.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from sfmc_actions.errors import StoreError
from sfmc_actions.queue.migrations import check_not_newer, load_migrations, sqlite_statements

T = TypeVar("T")

CREATE_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL)"
)
SELECT_MIGRATIONS = "SELECT version FROM schema_migrations"
INSERT_MIGRATION = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"
INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL


# Row counts of the multi-row INSERTs: few distinct statements, so sqlite3's statement cache keeps them all.
INSERT_CHUNKS = (256, 64, 16, 4, 1)


@functools.lru_cache(maxsize=64)
def _values_sql(prefix: str, columns: int, rows: int) -> str:
    row = "(" + ", ".join("?" * columns) + ")"
    return prefix + ", ".join([row] * rows)


def insert_rows(conn: sqlite3.Connection, prefix: str, rows: Sequence[Sequence[Any]]) -> None:
    """`prefix` ("INSERT INTO t (a, b) VALUES ") for every row, many rows per statement.

    One statement per chunk rather than executemany's one step per row: the store's thread releases and
    retakes the GIL around each step, and under load the event loop's thread holds it, so each retake waited
    (bench/e2e.py). Also about a third less CPU (12 -> 8 µs per job and body).
    """
    start = 0
    while start < len(rows):
        size = next(size for size in INSERT_CHUNKS if size <= len(rows) - start)
        chunk = rows[start : start + size]
        conn.execute(_values_sql(prefix, len(chunk[0]), size), [value for row in chunk for value in row])
        start += size


def to_time(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SqliteDatabase:
    def __init__(
        self, path: Path, *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL", busy_timeout: float = 30.0
    ) -> None:
        if not path.parent.is_dir():
            raise StoreError(
                f"cannot create the SQLite job store {path}: directory {path.parent} does not exist; "
                "create it or point --database at another path"
            )
        self.path = path
        self._synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sfmc-actions-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._data_version = 0
        self.closed = False

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` in the connection's thread."""
        if self.closed:
            raise StoreError(f"the SQLite job store {self.path} is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return fn(self._connection())

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
                # Before WAL, which writes the file's first page: a new file takes it for free (_incremental_vacuum).
                if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                    conn.execute(f"PRAGMA auto_vacuum = {INCREMENTAL}")
                self._enable_wal(conn)
                conn.execute(f"PRAGMA synchronous = {self._synchronous}")
                conn.execute("PRAGMA cache_size = -32768")  # 32 MiB keeps a big backlog's hot index pages
                # A checkpoint that empties the WAL truncates it to this size, so its high-water mark (a burst)
                # does not stay on disk for ever: the store stays the same size under steady traffic.
                conn.execute("PRAGMA journal_size_limit = 33554432")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the SQLite job store {self.path}: {exc}") from exc
            self._conn = conn
            self._data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        return self._conn

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch a new file to WAL. The switch takes an exclusive lock without calling the busy handler, so
        processes opening a fresh store together (serve and workers started at once) get SQLITE_BUSY at once:
        retry until the busy timeout. A file already in WAL answers without any lock."""
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def changed_elsewhere(self, conn: sqlite3.Connection) -> bool:
        """Whether another connection (process) committed since the last call: SQLite's data_version."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        changed = version != self._data_version
        self._data_version = version
        return bool(changed)

    def migrate(self, conn: sqlite3.Connection, now: float) -> None:
        self._incremental_vacuum(conn)
        known = load_migrations("sqlite")
        with write_transaction(conn):  # the write lock serialises processes migrating at once
            conn.execute(CREATE_MIGRATIONS)
            applied = {row[0] for row in conn.execute(SELECT_MIGRATIONS)}
            check_not_newer(applied, known, str(self.path))
            for migration in known:
                if migration.version not in applied:
                    for statement in sqlite_statements(migration.sql):
                        conn.execute(statement)
                    conn.execute(INSERT_MIGRATION, (migration.version, migration.name, now))

    def _incremental_vacuum(self, conn: sqlite3.Connection) -> None:
        """`auto_vacuum = INCREMENTAL`, so `PRAGMA incremental_vacuum` after a purge gives freed pages back to the
        filesystem. A new file takes the setting before its first table; a store created before this version
        changes it once with a VACUUM (it rewrites the file: seconds per GB, and twice the space while it runs),
        taken under the write lock so processes starting together do it once."""
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL:
            return
        conn.execute(f"PRAGMA auto_vacuum = {INCREMENTAL}")
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            conn.execute("VACUUM")

    async def close(self) -> None:
        if self.closed:
            return

        def close(conn: sqlite3.Connection) -> None:
            conn.close()
            self._conn = None

        if self._conn is not None:
            await self.run(close)
        self.closed = True
        self._executor.shutdown(wait=True)
