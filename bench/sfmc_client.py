"""Benchmark the SFMC client and actions against the emulator on a real socket; prints one JSON line.

    .venv/bin/python bench/sfmc_client.py --json [--rows 5000] [--async-rows 20000] [--bad-per-1000 5]

The emulator runs under uvicorn in a subprocess. Measured, each on a fresh emulator:
* `dataExtension` (sync rowsets, 50 rows per request): rows/s with one send at a time and with 4 sends in
  flight, and requests per 1,000 rows with no bad rows and with `--bad-per-1000` invalid rows spread at random,
  with the schema check (bad rows caught before sending; metadata calls included) and without it (bad rows
  isolated by resending);
* `asyncDataExtension` (one PUT per 28,000 rows, then status polling): rows/s to confirmed completion;
* `apiEvent`: journey entries/s, one request each (Segment's way, 4 at a time) and batched
  (`journey_batching`: 100 members per request, 4 requests at a time).
Top-level keys: `journey_entries_per_sec` (batched; target >= 5,000), `requests_per_1000_entries` (batched;
target <= 10.5) and `requests_per_1000_rows_with_bad_rows` (schema check on; target <= 21, every good row
delivered). Client and server share this machine (2 cores), so the numbers are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import SecretStr

from sfmc_actions.sfmc.actions import ACTIONS, PollPolicy
from sfmc_actions.sfmc.actions.api_event import SendApiEvent
from sfmc_actions.sfmc.actions.api_event_batch import batched
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome

ROOT = Path(__file__).resolve().parent.parent
SUBDOMAIN, MID, CLIENT_ID, SECRET = "mcbench00000000000000000000000", 700000001, "bench-client", "bench-secret"
EVENTS_ID = "0b0b0b0b-0000-4000-8000-000000000001"
SEED = {
    "options": {"async_not_visible_seconds": 0.2, "async_pending_seconds": 0.1, "async_executing_seconds": 0.1},
    "tenants": [
        {
            "subdomain": SUBDOMAIN,
            "mids": [MID],
            "packages": [{"client_id": CLIENT_ID, "client_secret": SECRET, "scopes": "all"}],
            "folders": [{"id": 1, "name": "Data Extensions"}],
            "data_extensions": [
                {
                    "name": "Orders",
                    "key": "Orders",
                    "fields": [
                        {"name": "Order_ID", "type": "Text", "length": 50, "primary_key": True},
                        {"name": "Email", "type": "EmailAddress", "length": 254},
                        {"name": "Revenue", "type": "Decimal", "length": 18, "scale": 2},
                        {"name": "Currency", "type": "Text", "length": 3},
                        {"name": "Ordered_At", "type": "Date"},
                    ],
                },
                {
                    "name": "Events",
                    "key": "Events",
                    "id": EVENTS_ID,
                    "fields": [
                        {"name": "Message_ID", "type": "Text", "length": 50, "primary_key": True},
                        {"name": "Event", "type": "Text", "length": 50},
                        {"name": "Amount", "type": "Number"},
                    ],
                },
                {"name": "Entry", "key": "Entry", "fields": [{"name": "ContactKey", "type": "Text", "length": 254}]},
            ],
            "event_definitions": [{"key": "APIEvent-bench", "data_extension": "Entry"}],
        }
    ],
}
RUNNER = (
    "import sys, uvicorn; from sfmc_actions.emulator import create_app; "
    "uvicorn.run(create_app(sys.argv[1]), host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')"
)


@dataclasses.dataclass
class Settings:
    api_base_url: str
    subdomain: str = SUBDOMAIN
    account_id: str = str(MID)
    client_id: str = CLIENT_ID
    client_secret: SecretStr = dataclasses.field(default_factory=lambda: SecretStr(SECRET))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Emulator:
    def __init__(self, seed_file: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(seed_file), str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.http = httpx.Client(base_url=f"{self.base_url}/__emulator", timeout=30)
        for _ in range(400):
            if self.process.poll() is not None:
                raise SystemExit(f"the emulator exited with code {self.process.returncode}")
            try:
                if self.http.get("/").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise SystemExit("the emulator did not start within 20 s")

    def reset(self) -> None:
        self.http.post("/reset").raise_for_status()

    def row_count(self, de: str) -> int:
        return len(self.http.get(f"/data-extensions/{de}/rows").json())

    def close(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(10)


def orders(n: int, bad: set[int]) -> list[dict[str, Any]]:
    return [
        {
            "key": "Orders",
            "keys": {"Order_ID": f"O-{i}"},
            "values": {
                "Email": "not-an-email" if i in bad else f"user{i}@example.com",
                "Revenue": round(i * 1.25, 2),
                "Currency": "EUR",
                "Ordered_At": "2024-05-12T16:00:00Z",
            },
        }
        for i in range(n)
    ]


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    return {
        "delivered": sum(isinstance(o, Delivered) for o in outcomes),
        "dead": sum(isinstance(o, Dead) for o in outcomes),
        "retry": sum(not isinstance(o, Delivered | Dead) for o in outcomes),
    }


async def sync_rows(
    emulator: Emulator, rows: int, bad_per_1000: int, in_flight: int, check_schema: bool = True
) -> dict[str, Any]:
    emulator.reset()
    bad = set(random.Random(42).sample(range(rows), rows * bad_per_1000 // 1000)) if bad_per_1000 else set()
    payloads = orders(rows, bad)
    action = ACTIONS["dataExtension"]
    async with SfmcClient(Settings(emulator.base_url), check_schema=check_schema) as client:
        await client.authenticate()
        started = time.perf_counter()
        # Like delivery workers: `in_flight` sends at a time, each with one batch of rows.
        chunks = [payloads[i : i + action.batch_size] for i in range(0, rows, action.batch_size)]
        gate = asyncio.Semaphore(in_flight)

        async def one(chunk: list[dict[str, Any]]) -> list[Outcome]:
            async with gate:
                return await action.send(client, chunk)

        outcomes = [o for result in await asyncio.gather(*(one(c) for c in chunks)) for o in result]
        elapsed = time.perf_counter() - started
        requests = client.requests_sent
        tokens = client.token_requests
    stored = emulator.row_count("Orders")
    assert stored == rows - len(bad), (stored, rows, len(bad))
    assert counts(outcomes)["delivered"] == rows - len(bad)
    return {
        "rows": rows,
        "bad_rows": len(bad),
        "schema_check": check_schema,
        "sends_in_flight": in_flight,
        "seconds": round(elapsed, 3),
        "rows_per_second": round(rows / elapsed),
        "requests": requests,
        "requests_per_1000_rows": round(requests * 1000 / rows, 1),
        "token_requests": tokens,
        **counts(outcomes),
    }


async def async_rows(emulator: Emulator, rows: int) -> dict[str, Any]:
    emulator.reset()
    action = ACTIONS["asyncDataExtension"]
    assert isinstance(action, AsyncRowsAction)
    action = dataclasses.replace(action, poll=PollPolicy(first_delay=0.25, max_delay=2.0))
    payloads = [{"keys": {"Message_ID": f"m-{i}"}, "values": {"Event": "Viewed", "Amount": i}} for i in range(rows)]
    hooks = {"onMappingSave": {"outputs": {"id": EVENTS_ID}}}
    async with SfmcClient(Settings(emulator.base_url), timeout=120) as client:
        await client.authenticate()
        started = time.perf_counter()
        outcomes = await action.send(client, payloads, hooks)
        elapsed = time.perf_counter() - started
        requests = client.requests_sent
    assert emulator.row_count("Events") == rows
    return {
        "rows": rows,
        "batch_size": action.batch_size,
        "seconds_to_confirmed": round(elapsed, 3),
        "rows_per_second": round(rows / elapsed),
        "requests": requests,
        "requests_per_1000_rows": round(requests * 1000 / rows, 2),
        "first_poll_after_s": action.poll.first_delay,
        **counts(outcomes),
    }


async def api_events(emulator: Emulator, events: int) -> dict[str, Any]:
    emulator.reset()
    payloads = [{"eventDefinitionKey": "APIEvent-bench", "contactKey": f"c-{i}"} for i in range(events)]
    async with SfmcClient(Settings(emulator.base_url)) as client:
        await client.authenticate()
        started = time.perf_counter()
        outcomes = await ACTIONS["apiEvent"].send(client, payloads)
        elapsed = time.perf_counter() - started
    return {
        "events": events,
        "seconds": round(elapsed, 3),
        "events_per_second": round(events / elapsed),
        **counts(outcomes),
    }


async def api_events_batched(emulator: Emulator, events: int) -> dict[str, Any]:
    emulator.reset()
    single = ACTIONS["apiEvent"]
    assert isinstance(single, SendApiEvent)
    action = batched(single)
    payloads = [{"eventDefinitionKey": "APIEvent-bench", "contactKey": f"c-{i}"} for i in range(events)]
    async with SfmcClient(Settings(emulator.base_url)) as client:
        await client.authenticate()
        started = time.perf_counter()
        outcomes = await action.send(client, payloads)
        elapsed = time.perf_counter() - started
        requests = client.requests_sent
    assert counts(outcomes)["delivered"] == events
    return {
        "events": events,
        "members_per_request": action.batch_size,
        "requests_in_flight": action.concurrency,
        "seconds": round(elapsed, 3),
        "events_per_second": round(events / elapsed),
        "requests": requests,
        "requests_per_1000_entries": round(requests * 1000 / events, 2),
        **counts(outcomes),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        seed_file = Path(tmp) / "seed.yaml"
        seed_file.write_text(yaml.safe_dump(SEED))
        emulator = Emulator(seed_file)
        try:
            with_bad_rows = await sync_rows(emulator, args.rows, args.bad_per_1000, 1)
            batched_events = await api_events_batched(emulator, args.batched_events)
            return {
                "journey_entries_per_sec": batched_events["events_per_second"],
                "requests_per_1000_entries": batched_events["requests_per_1000_entries"],
                "requests_per_1000_rows_with_bad_rows": with_bad_rows["requests_per_1000_rows"],
                "sync_clean_1_in_flight": await sync_rows(emulator, args.rows, 0, 1),
                "sync_clean_4_in_flight": await sync_rows(emulator, args.rows, 0, 4),
                "sync_with_bad_rows_1_in_flight": with_bad_rows,
                "sync_with_bad_rows_1_in_flight_unchecked": await sync_rows(
                    emulator, args.rows, args.bad_per_1000, 1, check_schema=False
                ),
                "async": await async_rows(emulator, args.async_rows),
                "api_event": await api_events(emulator, args.events),
                "api_event_batched": batched_events,
            }
        finally:
            emulator.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows per sync run (default 5000)")
    parser.add_argument("--async-rows", type=int, default=20000, help="rows for the async run (default 20000)")
    parser.add_argument("--bad-per-1000", type=int, default=5, help="invalid rows per 1,000 (default 5)")
    parser.add_argument("--events", type=int, default=1000, help="journey entries, one per request (default 1000)")
    parser.add_argument("--batched-events", type=int, default=20000, help="journey entries, batched (default 20000)")
    parser.add_argument("--json", action="store_true", help="one JSON line (the default output is indented JSON)")
    args = parser.parse_args()
    result = {"benchmark": "sfmc_client", "cpus": os.cpu_count(), **asyncio.run(run(args))}
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
