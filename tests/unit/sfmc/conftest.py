"""The in-process SFMC stand-in and a client talking to it, for the sfmc unit tests (fake_sfmc.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sfmc_actions.sfmc.client import SfmcClient
from tests.unit.sfmc.fake_sfmc import FakeSfmc, Settings


@pytest.fixture
def fake() -> FakeSfmc:
    return FakeSfmc()


@pytest.fixture
async def client(fake: FakeSfmc) -> AsyncIterator[SfmcClient]:
    async with httpx.AsyncClient(transport=fake.transport()) as http:
        yield SfmcClient(Settings(), http=http)
