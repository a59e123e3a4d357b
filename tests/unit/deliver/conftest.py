from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sfmc_actions.queue import JobStore, open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[JobStore]:
    opened = await open_store(str(tmp_path / "jobs.db"))
    yield opened
    await opened.close()
