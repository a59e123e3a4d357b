"""Delivery over real parts: a SQLite file (or PostgreSQL), the emulator on a real socket, the quick-start config."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from sfmc_actions.deliver import Worker
from sfmc_actions.emulator import create_app, run_emulator
from sfmc_actions.events import parse_event
from sfmc_actions.observe.metrics import Metrics
from sfmc_actions.queue import JobState, JobStore, RetryPolicy, open_store
from sfmc_actions.queue.jobs import NewJob
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import Loaded, load, tenant_key
from sfmc_actions.service.run import delivery, emulator_settings
from tests.conftest import postgres_schema_url

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"
SEED = ROOT / "examples" / "emulator-seed.yaml"
EVENTS = ROOT / "examples" / "events.ndjson"
FAST = RetryPolicy(base_delay=0.05, max_delay=0.5, jitter=0.2, max_attempts=10, max_age=3600)


@dataclass
class Emulator:
    app: Starlette
    url: str
    http: httpx.AsyncClient

    async def get(self, path: str) -> Any:
        response = await self.http.get(f"{self.url}/__emulator{path}")
        response.raise_for_status()
        return response.json()

    async def faults(self, *rules: dict[str, Any]) -> None:
        response = await self.http.put(f"{self.url}/__emulator/faults", json={"seed": 7, "rules": list(rules)})
        assert response.status_code == 200, response.text

    async def rows(self, key: str) -> list[dict[str, Any]]:
        return list(await self.get(f"/data-extensions/{key}/rows"))

    async def token_requests(self) -> int:
        return sum((await self.get("/tokens"))["requests"].values())


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    app = create_app(SEED)
    async with run_emulator(app) as url, httpx.AsyncClient() as http:
        yield Emulator(app, url, http)


@pytest.fixture
def quickstart() -> Loaded:
    return load(QUICKSTART)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[JobStore]:
    opened = await open_store(f"sqlite:///{tmp_path}/jobs.db")
    yield opened
    await opened.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], AbstractAsyncContextManager[str]]:
    """Both stores, as a maker of fresh store URLs (a new SQLite file, or a new PostgreSQL schema, each call)."""
    counter = itertools.count()

    @asynccontextmanager
    async def fresh() -> AsyncIterator[str]:
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path}/jobs-{next(counter)}.db"
            return
        async with postgres_schema_url(request.getfixturevalue("postgres_dsn"), "test_deliver") as url:
            yield url

    return fresh


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    """Both stores, for the flows that use the queue's new statements: a SQLite file and the real PostgreSQL."""
    if request.param == "sqlite":
        opened = await open_store(f"sqlite:///{tmp_path}/jobs.db")
        yield opened
        await opened.close()
        return
    async with postgres_schema_url(request.getfixturevalue("postgres_dsn"), "test_deliver") as url:
        opened = await open_store(url)
        yield opened
        await opened.close()


def signed_up(n: int) -> dict[str, Any]:
    """A sign-up, which the quick start's welcome journey enters contact `u<n>` for."""
    return {
        "type": "track",
        "event": "Signed Up",
        "userId": f"u{n}",
        "messageId": f"signup-{n}",
        "properties": {"plan": "pro"},
        "context": {"traits": {"email": f"u{n}@example.com"}},
    }


def example_events() -> list[dict[str, Any]]:
    return [parse_event(orjson.loads(line)).to_dict() for line in EVENTS.read_text().splitlines() if line.strip()]


async def enqueue(store: JobStore, loaded: Loaded, events: list[dict[str, Any]]) -> list[NewJob]:
    jobs, _ = Router(loaded.subscriptions, tenant_key(loaded.config.settings)).route_many(events)
    await store.enqueue(jobs)
    return jobs


@asynccontextmanager
async def worker_for(loaded: Loaded, store: JobStore, emulator: Emulator, **overrides: Any) -> AsyncIterator[Worker]:
    settings = emulator_settings(emulator.url, emulator.app)
    # Journey entries in doubt are asked about at the emulator's status endpoint, which lists them at once.
    options = {"flush_interval": 0.1, "idle_poll": 0.1, "in_doubt_settle": 0.3} | overrides
    policy = options.pop("policy", FAST)
    timeout = options.pop("http_timeout", None)
    metrics = Metrics(CollectorRegistry())
    async with delivery(loaded, store, settings, metrics, policy, timeout, **options) as worker:
        yield worker


async def drain(worker: Worker | list[Worker], store: JobStore, timeout: float = 30.0) -> None:
    """Run the worker(s) until no job is pending or claimed, then stop them gracefully."""
    workers = worker if isinstance(worker, list) else [worker]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    deadline = time.monotonic() + timeout
    try:
        while True:
            stats = await store.stats()
            if stats.total(JobState.PENDING) + stats.total(JobState.CLAIMED) == 0:
                break
            for task in tasks:
                if task.done():
                    task.result()
            assert time.monotonic() < deadline, f"jobs still waiting after {timeout} s: {stats}"
            await asyncio.sleep(0.05)
    finally:
        for w in workers:
            w.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
