"""Fixtures for the store contract suite: each test runs against a real SQLite file and the real PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import asyncpg
import pytest

from sfmc_actions.queue import JobStore, open_store
from tests.conftest import postgres_schema_url


class FakeClock:
    """The stores take their time from here, so leases and windows expire without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store_url(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/jobs.db"  # tmp_path is absolute: sqlite:////tmp/...
        return
    async with postgres_schema_url(request.getfixturevalue("postgres_dsn"), "test_queue") as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(store_url: str, clock: FakeClock) -> AsyncIterator[JobStore]:
    opened = await open_store(store_url, clock=clock, dedupe_window=3600)
    yield opened
    await opened.close()


async def raw_execute(url: str, sql: str) -> None:
    """Run SQL straight on the store's database (in its schema), around the store's API."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(urlsplit(url).path[1:], isolation_level=None)
        try:
            conn.execute(sql)
        finally:
            conn.close()
        return
    parts = urlsplit(url)
    schema = dict(parse_qsl(parts.query))["schema"]
    pg = await asyncpg.connect(parts._replace(query="").geturl(), server_settings={"search_path": schema})
    try:
        await pg.execute(sql)
    finally:
        await pg.close()
