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
    # The requests the actions themselves make: the schema check before a send (its own tests in test_schema.py
    # and the differential test against the emulator) would add field lookups the fake does not serve.
    async with httpx.AsyncClient(transport=fake.transport()) as http:
        yield SfmcClient(Settings(), http=http, check_schema=False)
