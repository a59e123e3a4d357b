"""The ingest API in process (ASGI transport) over the fake router and store of fakes.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sfmc_actions.ingest.http_api import create_ingest_app
from tests.unit.ingest.fakes import FakeRouter, FakeStore, config


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def client(store: FakeStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_ingest_app(config(), FakeRouter(), store)  # type: ignore[arg-type]  # a fake store
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as http:
        yield http
