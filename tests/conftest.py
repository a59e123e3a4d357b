"""Shared fixtures. Tests that need PostgreSQL skip when it is absent locally but fail in CI (CI=true)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

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
