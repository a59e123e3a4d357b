"""Shared fixtures. Tests that need PostgreSQL skip when it is absent locally but fail in CI (CI=true)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

POSTGRES_DSN = os.environ.get("SFMC_ACTIONS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """DSN of the real PostgreSQL server. Skips locally when it is down; in CI that is a failure."""
    if not _postgres_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432 and CI=true: it is required in CI")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    yield POSTGRES_DSN


@pytest.fixture
async def postgres_url(postgres_dsn: str) -> AsyncIterator[str]:
    """A store URL on a fresh schema of the real PostgreSQL, dropped after the test."""
    async with postgres_schema_url(postgres_dsn) as url:
        yield url


@contextlib.asynccontextmanager
async def postgres_schema_url(dsn: str, prefix: str = "test") -> AsyncIterator[str]:
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    yield f"{dsn}?schema={schema}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
def keep_root_logging() -> Iterator[None]:
    """For tests of commands that configure the root logger (serve, worker): put it back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
