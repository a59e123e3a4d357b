"""In-process emulator fixtures: the app behind httpx.ASGITransport, with a movable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sfmc_actions.emulator import Clock, create_app

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "examples" / "emulator-seed.yaml"
CREDENTIALS = {"grant_type": "client_credentials", "client_id": "demo-client-id", "client_secret": "demo-client-secret"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Starlette:
    return create_app(SEED, clock=clock)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator.test") as c:
        yield c


async def get_token(client: httpx.AsyncClient, **extra: Any) -> str:
    response = await client.post("/v2/token", json={**CREDENTIALS, **extra})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await get_token(client)}"}


def rows_of(app: Starlette, key: str) -> list[dict[str, Any]]:
    """Rows of a DE straight from the state (what SFMC saved)."""
    for tenant in app.state.emulator.state.tenants.values():
        for de in tenant.data_extensions.values():
            if de.key == key:
                return list(de.rows.values())
    raise AssertionError(f"no DE {key}")
