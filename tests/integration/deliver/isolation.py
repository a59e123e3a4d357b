"""Measures whether one destination's troubles slow another's delivery, over real parts: two emulators on real
sockets (one per SFMC tenant), a real store, one `Worker` per destination run as a group, as `serve` runs them.

`measure(mode, ...)` returns the rate (deliveries per second) at which destination `healthy` delivers N contacts
while destination `other`:
* `alone`: is not in the config;
* `paired`: has as many jobs, and a healthy tenant of its own;
* `throttled`: has as many jobs, and its emulator tenant answers every call with 429 (Retry-After 1 s);
* `refused`: has as many jobs, and its emulator tenant refuses its credentials (a wrong client secret).
The healthy tenant answers each call after `latency` seconds, so its rate is set by its window (tenant
concurrency x latency), not by how fast this machine's cores happen to be at that moment.

Used by tests/integration/deliver/test_destinations.py and bench/destinations.py.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from prometheus_client import CollectorRegistry

from sfmc_actions.emulator import create_app, run_emulator
from sfmc_actions.observe.metrics import Metrics
from sfmc_actions.queue import JobState, JobStore, RetryPolicy, open_store
from sfmc_actions.service.load import Loaded, load
from sfmc_actions.service.run import deliveries, emulator_settings

Mode = Literal["alone", "paired", "throttled", "refused"]
ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "examples" / "emulator-seed.yaml"
FAST = RetryPolicy(base_delay=0.05, max_delay=0.5, jitter=0.2, max_attempts=1000, max_age=3600)


def identify(n: int) -> dict[str, Any]:
    return {"type": "identify", "userId": f"u{n}", "messageId": f"identify-{n}", "traits": {"email": f"u{n}@x.io"}}


def config_text(urls: dict[str, str], secrets: dict[str, str], concurrency: int) -> str:
    """Destinations named by `urls`, each with one `contact` subscription, delivering to its own emulator."""
    demo = emulator_settings("http://unused")
    destinations = [
        {
            "name": name,
            "settings": {
                "subdomain": demo.subdomain,
                "account_id": demo.account_id,
                "client_id": demo.client_id,
                "client_secret": secrets.get(name, demo.client_secret.get_secret_value()),
                "api_base_url": url,
                "allow_custom_api_host": True,
            },
            "subscriptions": [
                {
                    "name": "contacts",
                    "action": "contact",
                    "trigger": 'type = "identify"',
                    "mapping": {"contactKey": {"@path": "$.userId"}},
                },
            ],
        }
        for name, url in urls.items()
    ]
    return yaml.safe_dump({"destinations": destinations, "delivery": {"tenant_concurrency": concurrency}})


@asynccontextmanager
async def emulators(mode: Mode, latency: float) -> AsyncIterator[dict[str, str]]:
    """The emulators by destination name (each its own tenant), with the faults of `mode`."""
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient())
        urls = {"healthy": await stack.enter_async_context(run_emulator(create_app(SEED)))}
        slow = {"seed": 1, "rules": [{"fault": "latency", "route": "contacts", "seconds": latency}]}
        (await http.put(f"{urls['healthy']}/__emulator/faults", json=slow)).raise_for_status()
        if mode != "alone":
            urls["other"] = await stack.enter_async_context(run_emulator(create_app(SEED)))
        if mode == "throttled":  # every call, the token request included, answered 429 with Retry-After: 1
            only_429 = {"seed": 1, "rules": [{"fault": "rate_limit", "route": "*", "retry_after": 1}]}
            (await http.put(f"{urls['other']}/__emulator/faults", json=only_429)).raise_for_status()
        yield urls


# A fresh, empty store URL per measurement (a SQLite file by default; tests pass PostgreSQL schemas too).
StoreUrls = Callable[[], AbstractAsyncContextManager[str]]


async def measure(
    mode: Mode, store_urls: StoreUrls | None = None, events: int = 300, latency: float = 0.05, concurrency: int = 4
) -> dict[str, Any]:
    """Deliver `events` contacts to `healthy` (and as many to `other`, unless alone); the healthy rate and what
    became of the other destination's jobs meanwhile."""
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncExitStack() as stack:
            urls = await stack.enter_async_context(emulators(mode, latency))
            secrets = {"other": "a-wrong-secret"} if mode == "refused" else {}
            path = Path(tmp) / "config.yaml"
            path.write_text(config_text(urls, secrets, concurrency))
            loaded = load(path)
            url = await stack.enter_async_context(store_urls()) if store_urls else f"sqlite:///{tmp}/jobs.db"
            store = await open_store(url)
            try:
                return await _deliver(loaded, store, events)
            finally:
                await store.close()


async def _deliver(loaded: Loaded, store: JobStore, events: int) -> dict[str, Any]:
    jobs, _ = loaded.router().route_many([identify(n) for n in range(events)])
    await store.enqueue(jobs)
    settings = {d.name: d.settings for d in loaded.config.destinations if d.settings is not None}
    options = {"flush_interval": 0.05, "idle_poll": 0.1, "auth_pause": 1.0, "policy": FAST}
    async with deliveries(loaded, store, settings, Metrics(CollectorRegistry()), **options) as workers:
        started = time.perf_counter()
        run = asyncio.create_task(workers.run())
        try:
            while (await store.stats(0)).total(JobState.DELIVERED, destination="healthy") < events:
                if run.done():
                    run.result()
                    raise AssertionError("the workers stopped before delivering")
                if time.perf_counter() - started > 120:
                    raise AssertionError("healthy deliveries took over 120 s")
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
        finally:
            workers.stop()
            await run
        stats = await store.stats(0)
    return {
        "rate": events / elapsed,
        "seconds": elapsed,
        "other_delivered": stats.total(JobState.DELIVERED, destination="other"),
        "other_waiting": stats.total(JobState.PENDING, destination="other")
        + stats.total(JobState.CLAIMED, destination="other"),
    }
