"""Benchmark the SFMC emulator on a real socket; prints one JSON line.

    .venv/bin/python bench/emulator.py [--requests 1500] [--concurrency 16]

Starts `sfmc-actions emulator` (uvicorn) in a subprocess with examples/emulator-seed.yaml, then
drives it with a concurrent httpx client: token requests, 50-row rowset upserts, journey entries.
Each phase is bounded by a request count and a time limit. Client and server share this machine,
so the numbers are a floor for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from e2e_setup import ROOT, SEED, free_port  # bench/ is on sys.path: this script's folder

from sfmc_actions.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

CREDENTIALS = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}


def start_server(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "sfmc_actions", "emulator", "--port", str(port), "--seed", str(SEED)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            if process.poll() is not None:
                raise SystemExit(f"the emulator exited with code {process.returncode}")
            try:
                if (await client.get("/__emulator/")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("the emulator did not start within 10 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to report the server's own cost."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def phase(
    pid: int, requests: int, concurrency: int, limit_s: float, send: Callable[[int], Awaitable[int]]
) -> dict[str, Any]:
    counter = iter(range(requests))
    done, failures = 0, 0
    deadline = time.perf_counter() + limit_s

    async def worker() -> None:
        nonlocal done, failures
        for i in counter:
            if time.perf_counter() > deadline:
                return
            status = await send(i)
            done += 1
            failures += status >= 300

    started, cpu = time.perf_counter(), cpu_seconds(pid)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu
    # server_rps_per_core: requests per second of server CPU, i.e. what one core sustains.
    return {
        "requests": done,
        "failures": failures,
        "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1),
        "server_cpu_seconds": round(cpu, 3),
        "server_rps_per_core": round(done / cpu, 1) if cpu > 0 else None,
    }


async def run(pid: int, base: str, requests: int, concurrency: int, limit_s: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        token = (await client.post("/v2/token", json=CREDENTIALS)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        # Bodies are encoded before each phase (orjson), so the client spends its time on HTTP only.
        json_type = {"Content-Type": "application/json"}
        token_body = orjson.dumps(CREDENTIALS)
        rowsets = [
            orjson.dumps(
                [
                    {
                        "keys": {"contactKey": f"bench-{i}-{n}"},
                        "values": {
                            "Email": f"user{n}@example.com",
                            "First_Name": "Ada",
                            "Plan": "pro",
                            "Updated_At": "2026-11-20T09:01:51.000Z",
                        },
                    }
                    for n in range(50)
                ]
            )
            for i in range(requests + 100)
        ]
        entries = [
            orjson.dumps(
                {
                    "ContactKey": f"bench-{i}",
                    "EventDefinitionKey": "APIEvent-welcome",
                    "Data": {"Email": f"user{i}@example.com", "Plan": "pro"},
                }
            )
            for i in range(requests)
        ]

        async def get_token(i: int) -> int:
            return (await client.post("/v2/token", content=token_body, headers=json_type)).status_code

        async def rowset(i: int) -> int:
            url = "/hub/v1/dataevents/key:Customers/rowset"
            return (await client.post(url, content=rowsets[i], headers={**auth, **json_type})).status_code

        async def journey(i: int) -> int:
            url = "/interaction/v1/events"
            return (await client.post(url, content=entries[i], headers={**auth, **json_type})).status_code

        await phase(pid, 100, concurrency, limit_s, lambda i: rowset(requests + i))  # warm-up
        return {
            "token": await phase(pid, requests, concurrency, limit_s, get_token),
            "rowset_50_rows": await phase(pid, requests, concurrency, limit_s, rowset),
            "journey_entry": await phase(pid, requests, concurrency, limit_s, journey),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds per phase at most")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_server(port)
    try:
        asyncio.run(wait_ready(base, process))
        results = asyncio.run(run(process.pid, base, args.requests, args.concurrency, args.time_limit))
    finally:
        process.terminate()
        process.wait(10)
    try:
        import httptools  # noqa: F401

        http = "httptools"
    except ImportError:
        http = "h11"
    print(
        json.dumps(
            {
                "bench": "emulator",
                "concurrency": args.concurrency,
                "http": http,
                "token_rps": results["token"]["rps"],
                "rowset_50_rows_rps": results["rowset_50_rows"]["rps"],
                "journey_entry_rps": results["journey_entry"]["rps"],
                "server_rps_per_core": {name: r["server_rps_per_core"] for name, r in results.items()},
                "phases": results,
            }
        )
    )


if __name__ == "__main__":
    main()
