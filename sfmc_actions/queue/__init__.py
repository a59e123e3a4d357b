"""The durable job queue: routed events wait here until a worker delivers them (or they die).

`open_store(url)` gives a connected, migrated `JobStore`:

    sqlite:///relative/path.db       SQLite file (SQLAlchemy's convention: three slashes, then the path;
    sqlite:////absolute/path.db      four slashes for an absolute path); ?synchronous=full fsyncs each commit
    ./path.db, /abs/path.db          a plain file path is SQLite too
    postgresql://user@host/db        PostgreSQL; ?schema=name picks the schema (default sfmc_actions)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sfmc_actions.errors import StoreError
from sfmc_actions.observe import urls as observe_urls
from sfmc_actions.queue.jobs import (
    ApplyResult,
    EnqueueResult,
    Job,
    JobDead,
    JobDelivered,
    JobOutcome,
    JobRetry,
    JobState,
    NewJob,
    QueueStats,
    RejectedEvent,
    SharedToken,
)
from sfmc_actions.queue.postgres_store import PostgresJobStore
from sfmc_actions.queue.retry import RetryPolicy
from sfmc_actions.queue.sqlite_store import SqliteJobStore
from sfmc_actions.queue.store import JobStore, Reroute

__all__ = [
    "ApplyResult",
    "EnqueueResult",
    "Job",
    "JobDead",
    "JobDelivered",
    "JobOutcome",
    "JobRetry",
    "JobState",
    "JobStore",
    "NewJob",
    "PostgresJobStore",
    "QueueStats",
    "RejectedEvent",
    "Reroute",
    "RetryPolicy",
    "SharedToken",
    "SqliteJobStore",
    "open_store",
    "redact_url",
]

URL_HELP = "use sqlite:///path/to/file.db, a plain file path, or postgresql://user@host:5432/database"


async def open_store(
    url: str,
    *,
    dedupe_window: float = 24 * 3600.0,
    migrate: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> JobStore:
    """Open the job store named by `url` and (unless `migrate=False`) apply pending schema migrations.

    `dedupe_window`: seconds during which a journey entry with the same subscription and messageId is
    skipped. `clock` (tests): a callable returning the current aware UTC datetime.
    """
    options: dict[str, Any] = {"dedupe_window": dedupe_window}
    if clock is not None:
        options["clock"] = clock
    store = _store_for(url.strip(), options)
    try:
        await store.connect()
        if migrate:
            await store.migrate()
    except BaseException:
        await store.close()
        raise
    return store


def _store_for(url: str, options: dict[str, Any]) -> SqliteJobStore | PostgresJobStore:
    if not url:
        raise StoreError(f"the database URL is empty: {URL_HELP}")
    if "://" not in url:
        return _sqlite(url, {}, options)
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        if parts.netloc:
            raise StoreError(f"sqlite URL {redact_url(url)!r} has a host part: {URL_HELP}")
        path = parts.path[1:]  # sqlite:///x.db -> "x.db"; sqlite:////tmp/x.db -> "/tmp/x.db"
        if not path:
            raise StoreError(f"sqlite URL {redact_url(url)!r} names no file: {URL_HELP}")
        return _sqlite(path, query, options)
    if parts.scheme in ("postgresql", "postgres"):
        schema = query.pop("schema", "sfmc_actions")
        dsn = urlunsplit(parts._replace(query=urlencode(query)))
        return PostgresJobStore(dsn, schema=schema, **options)
    raise StoreError(f"unsupported database URL scheme {parts.scheme!r} in {redact_url(url)!r}: {URL_HELP}")


def _sqlite(path: str, query: dict[str, str], options: dict[str, Any]) -> SqliteJobStore:
    synchronous = query.pop("synchronous", "normal").upper()
    if synchronous not in ("NORMAL", "FULL"):
        raise StoreError(f"sqlite URL option synchronous={synchronous.lower()!r}: use normal (default) or full")
    if query:
        raise StoreError(f"unknown sqlite URL option(s) {sorted(query)}: only synchronous=normal|full is known")
    return SqliteJobStore(Path(path), synchronous="FULL" if synchronous == "FULL" else "NORMAL", **options)


def redact_url(url: str) -> str:
    """The URL with every credential (user-info password, ?password= and the like) replaced by ***."""
    return observe_urls.redact_url(url)
