"""A load for the crash and fault tests: the emulator as its own process, a config pointing at it, a realistic
mix of events, clients that send it through the ingest API as Segment's SDKs do (batches of 100, resent until
acknowledged), and what every event should leave in the emulator."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from bench import e2e_setup as setup
from bench.e2e_setup import customers, free_port, orders, page_views, path, secret_env
from sfmc_actions.queue import JobState, QueueStats, open_store
from tests.e2e.processes import ROOT

__all__ = ["free_port"]  # the tests take it from here with the rest of the load

WRITE_KEY = "load-test-key"
SECRET_ENV = secret_env("LOAD_SFMC_SECRET")
LISTENING = re.compile(r"listening on (http://\S+)")
ORDER_JOURNEY = "APIEvent-order"
WELCOME_JOURNEY = "APIEvent-welcome"


def journey(name: str, trigger: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    mapping = {"eventDefinitionKey": key, "contactKey": path("$.userId"), "data": data}
    return {"name": name, "action": "apiEvent", "trigger": trigger, "mapping": mapping}


SUBSCRIPTIONS = [
    customers(Plan=path("$.traits.plan")),
    orders(),
    page_views(),
    journey(
        "welcome-journey",
        'type = "track" and event = "Signed Up"',
        WELCOME_JOURNEY,
        {"Email": path("$.context.traits.email"), "Plan": path("$.properties.plan")},
    ),
    journey(
        "order-journey",
        'type = "track" and event = "Order Completed"',
        ORDER_JOURNEY,
        {"Order_ID": path("$.properties.order_id"), "Message_ID": path("$.messageId")},
    ),
]


def write_seed(file: Path) -> Path:
    """The quick-start seed plus the order journey, whose entry data extension the emulator creates."""
    order_journey = {
        "key": ORDER_JOURNEY,
        "name": "Order follow-up",
        "fields": [
            {"name": "ContactKey", "type": "Text", "length": 254},
            {"name": "Order_ID", "type": "Text"},
            {"name": "Message_ID", "type": "Text", "length": 100},
        ],
    }
    return setup.write_seed(file, event_definitions=(order_journey,))


def write_config(file: Path, emulator: str, lease: float, *, journey_batching: bool = False, **delivery: Any) -> Path:
    """`journey_batching`: the two journeys go through SFMC's batch endpoint; `delivery`: more delivery options."""
    subscriptions = [
        {**sub, "journey_batching": True} if journey_batching and sub["action"] == "apiEvent" else sub
        for sub in SUBSCRIPTIONS
    ]
    return setup.write_config(
        file,
        emulator,
        secret_env_name="LOAD_SFMC_SECRET",
        source="load",
        write_key=WRITE_KEY,
        delivery={"lease_seconds": lease, "flush_interval": 0.5, **delivery},
        subscriptions=subscriptions,
    )


class EmulatorProcess:
    """`sfmc-actions emulator` as its own process, so it outlives the servers the tests kill."""

    def __init__(self, seed: Path, faults: Path | None = None) -> None:
        args = [sys.executable, "-m", "sfmc_actions", "emulator", "--seed", str(seed), "--port", "0"]
        self.args = args + (["--faults", str(faults)] if faults else [])
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            found = LISTENING.search(line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise AssertionError(f"the emulator exited with {self.process.wait()} before listening")
        self._drain = threading.Thread(target=self.process.stdout.read, daemon=True)  # keep the pipe drained
        self._drain.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self._drain.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.url}/__emulator{path}", timeout=60)
        response.raise_for_status()
        return response.json()


# -- the events ------------------------------------------------------------------------------------------------
def user_events(n: int) -> list[dict[str, Any]]:
    """Five events per user: identify, two pages, a sign-up and an order (two journeys), as an app sends them."""
    user, ts = f"user-{n}", "2025-03-01T10:00:00.000Z"
    return [
        {
            "type": "identify",
            "userId": user,
            "messageId": f"id-{n}",
            "timestamp": ts,
            "traits": {"email": f"{user}@example.com", "plan": "pro" if n % 3 else "free"},
        },
        {"type": "page", "userId": user, "messageId": f"page-a-{n}", "name": "Home", "timestamp": ts},
        {
            "type": "track",
            "event": "Signed Up",
            "userId": user,
            "messageId": f"signup-{n}",
            "timestamp": ts,
            "properties": {"plan": "pro"},
            "context": {"traits": {"email": f"{user}@example.com"}},
        },
        {
            "type": "track",
            "event": "Order Completed",
            "userId": user,
            "messageId": f"order-{n}",
            "timestamp": ts,
            "properties": {"order_id": f"o-{n}", "revenue": 10 + n % 90, "currency": "EUR"},
        },
        {"type": "page", "userId": user, "messageId": f"page-b-{n}", "name": "Checkout", "timestamp": ts},
    ]


@dataclass
class Expected:
    """What the accepted events must leave in the emulator."""

    customers: set[str] = field(default_factory=set)
    orders: set[str] = field(default_factory=set)
    pages: set[str] = field(default_factory=set)
    entries: set[tuple[str, str, str]] = field(default_factory=set)  # (event definition, contact, id from data)

    def add(self, event: dict[str, Any]) -> None:
        if event["type"] == "identify":
            self.customers.add(event["userId"])
        elif event["type"] == "page":
            self.pages.add(event["messageId"])
        elif event.get("event") == "Signed Up":
            self.entries.add((WELCOME_JOURNEY, event["userId"], event["context"]["traits"]["email"]))
        elif event.get("event") == "Order Completed":
            self.orders.add(event["properties"]["order_id"])
            self.entries.add((ORDER_JOURNEY, event["userId"], event["messageId"]))


def entry_key(entry: dict[str, Any]) -> tuple[str, str, str]:
    data = {k.lower(): v for k, v in entry["data"].items()}
    return entry["event_definition_key"], entry["contact_key"], str(data.get("message_id") or data.get("email"))


def journey_entries(emulator: EmulatorProcess) -> Counter[tuple[str, str, str]]:
    return Counter(entry_key(e) for e in emulator.get("/journey-events"))


def missing_rows(emulator: EmulatorProcess, expected: Expected) -> dict[str, int]:
    found = {
        "Customers": {r["contactKey"] for r in emulator.get("/data-extensions/Customers/rows")},
        "Orders": {r["Order_ID"] for r in emulator.get("/data-extensions/Orders/rows")},
        "Page_Views": {r["Message_ID"] for r in emulator.get("/data-extensions/Page_Views/rows")},
    }
    wanted = {"Customers": expected.customers, "Orders": expected.orders, "Page_Views": expected.pages}
    return {key: len(wanted[key] - found[key]) for key in wanted if wanted[key] - found[key]}


# -- sending ---------------------------------------------------------------------------------------------------
class Sender:
    """Client threads posting batches of 100 to the ingest API; a batch not answered 200 is sent again (same
    messageIds), as Segment's SDKs resend. Only a 200 counts as accepted."""

    def __init__(self, url: str, events: list[dict[str, Any]], clients: int = 4, batch: int = 100) -> None:
        self.url = url
        self.batches = [events[i : i + batch] for i in range(0, len(events), batch)]
        self.accepted: list[dict[str, Any]] = []
        self.resent = 0
        self._next = iter(self.batches)
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]
        auth = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
        self._headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}

    def start(self) -> Sender:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))
        assert not any(t.is_alive() for t in self._threads), f"sending did not finish within {timeout} s"

    def _take(self) -> list[dict[str, Any]] | None:
        with self._lock:
            return next(self._next, None)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while (batch := self._take()) is not None:
                body = orjson.dumps({"batch": batch})
                while True:
                    try:
                        answer = client.post(f"{self.url}/v1/batch", content=body, headers=self._headers)
                        if answer.status_code == 200:
                            break
                    except httpx.TransportError:  # the server is down (killed): wait for it, send again
                        pass
                    with self._lock:
                        self.resent += 1
                    time.sleep(0.2)
                with self._lock:
                    self.accepted.extend(batch)


# -- the store, read the way `sfmc-actions status` reads it -------------------------------------------------
def queue_stats(database: str) -> QueueStats:
    async def stats() -> QueueStats:
        store = await open_store(database, migrate=False)
        try:
            return await store.stats()
        finally:
            await store.close()

    return asyncio.run(stats())


def wait_until_drained(database: str, timeout: float) -> QueueStats:
    deadline = time.monotonic() + timeout
    while True:
        stats = queue_stats(database)
        if stats.total(JobState.PENDING) + stats.total(JobState.CLAIMED) == 0:
            return stats
        assert time.monotonic() < deadline, f"jobs still waiting after {timeout} s: {stats.counts}"
        time.sleep(0.5)


@contextlib.contextmanager
def store_database(request: pytest.FixtureRequest, tmp_path: Path, store: str) -> Iterator[str]:
    """A store URL: a SQLite file in `tmp_path`, or a fresh schema of the real PostgreSQL (dropped afterwards)."""
    if store == "sqlite":
        yield f"sqlite:///{tmp_path}/jobs.db"
        return
    dsn = request.getfixturevalue("postgres_dsn")
    schema = f"test_e2e_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{dsn}?schema={schema}"
    finally:

        async def drop() -> None:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            finally:
                await conn.close()

        asyncio.run(drop())


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
