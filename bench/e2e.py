"""End-to-end service benchmark: `serve` and the SFMC emulator as processes; one JSON line per store.

    python bench/e2e.py [--quick] [--stores sqlite,postgres] [--events N] [--backlog N] [--rate R] [--connections C]
                        [--workers N] [--profile DIR]

Three OS processes on real sockets, as in production: `sfmc-actions serve` (ingest API + delivery workers) on a
fresh SQLite file or its own PostgreSQL schema; `sfmc-actions emulator` standing in for SFMC, in its own process
so that its CPU and the rows it keeps are not counted as serve's; and the load client (bench/e2e_client.py:
batches of 100 realistic identify/page/track events over several keep-alive connections). Per store:

1. steady: `--events` events offered at `--rate` events/s (below delivery capacity, as a live site sends).
   latency_p50_ms / latency_p99_ms: per delivered row, from the 200 answer of its batch (accepted = committed)
   to the arrival of the rowset request carrying it at the emulator (its journal's receive time; same clock).
2. backlog: the emulator answers rowsets after `--stall` seconds (a slow SFMC), so the queue fills while the
   client posts `--backlog` events as fast as they are accepted. accepted_events_per_sec: events answered 200
   per second. RSS of serve is sampled from /proc: rss_small_backlog_mb once a tenth of the backlog is queued.
3. drain: the emulator answers at full speed again. delivered_rows_per_sec: rows arriving at the emulator per
   second until the backlog is gone (counted as data extension rows: every row key is unique per event).
   peak_rss_mb: serve's VmHWM (high-water mark) at the end, which covers the whole run.

`--workers N` adds N `sfmc-actions worker` processes on the same store (scale-out); their CPU is reported apart.
Also reported: store_bytes_start / store_bytes_end (the store's size once serve started and at the end, as
`status --json` gives it), serve's CPU per accepted event and per delivered row (utime+stime from /proc), the
1-minute load average before the run (the machine is shared), and the expected and delivered row totals (they
must match).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from e2e_client import WRITE_KEY, expected_rows  # bench/ is on sys.path: this script's folder
from e2e_procs import (
    POSTGRES,
    ROOT,
    Process,
    Profiler,
    RssSampler,
    cpu_seconds,
    machine_busy_seconds,
    postgres_cpu_seconds,
    proc_status,
    stand_in_autovacuum,
)
from e2e_setup import (
    customers,
    data_extension,
    free_port,
    orders,
    page_views,
    path,
    secret_env,
    write_config,
    write_seed,
)

from sfmc_actions.queue import open_store

INGEST_URL = re.compile(r"ingest API on (http://\S+?),")
STARTED = re.compile(r"(Ctrl\+C to stop)")
BENCH_DES = ("Customers", "Orders", "Page_Views", "Audience_VIP")
SECRET_ENV = secret_env("BENCH_SFMC_SECRET")
SUBSCRIPTIONS = [
    customers(
        'type = "identify" and traits.email != null',
        First_Name=path("$.traits.first_name"),
        Last_Name=path("$.traits.last_name"),
        Plan={"@if": {"exists": path("$.traits.plan"), "then": path("$.traits.plan"), "else": "free"}},
        Updated_At=path("$.timestamp"),
    ),
    data_extension(
        "vip-audience",
        'type = "identify" and traits.vip_customers != null',
        "Audience_VIP",
        {"contactKey": path("$.userId")},
        {"In_Audience": path("$.traits.vip_customers"), "Email": path("$.traits.email")},
    ),
    orders(
        Summary={"@template": "{{properties.order_id}}: {{properties.currency}} {{properties.revenue}}"},
        Ordered_At=path("$.timestamp"),
    ),
    page_views(URL=path("$.properties.url"), Viewed_At=path("$.timestamp")),
]


async def delivered_rows(http: httpx.AsyncClient) -> int:
    listed = (await http.get("/__emulator/data-extensions")).json()
    return sum(de["rowCount"] for de in listed if de["key"] in BENCH_DES)


async def wait_delivered(http: httpx.AsyncClient, expected: int, timeout: float, every: float = 0.2) -> float:
    """Until the emulator holds `expected` rows; returns when (perf_counter). Fails after `timeout` idle seconds."""
    last, last_change = -1, time.perf_counter()
    while (count := await delivered_rows(http)) < expected:
        if count != last:
            last, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change > timeout:
            raise SystemExit(f"delivery stalled at {count} of {expected} rows for {timeout:.0f} s")
        await asyncio.sleep(every)
    return time.perf_counter()


async def wait_ready(http: httpx.AsyncClient, emulator: Process) -> None:
    for _ in range(600):
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/__emulator/")).status_code == 200:
                return
        if emulator.popen.poll() is not None:
            break
        await asyncio.sleep(0.05)
    raise SystemExit("the emulator did not start:\n" + "\n".join(emulator.lines[-30:]))


async def run_client(url: str, first: int, count: int, rate: float, connections: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(ROOT / "bench" / "e2e_client.py"),
        "--url",
        url,
        "--first",
        str(first),
        "--count",
        str(count),
        "--rate",
        str(rate),
        "--connections",
        str(connections),
    ]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"the load client failed with exit code {process.returncode}")
    result: dict[str, Any] = orjson.loads(out)
    if result["failed"]:
        raise SystemExit(f"the ingest API refused {result['failed']} events: {result.get('errors')}")
    return result


def latencies_ms(journal: list[dict[str, Any]], batches: list[list[float]], first: int, count: int) -> list[float]:
    """Per row of events [first, first+count): first arrival at the emulator - accept time of its batch."""
    accepted = {int(start): at for start, at in batches}
    arrived: dict[tuple[str, int], float] = {}
    for entry in journal:
        if entry["status"] != 200 or not isinstance(entry["body"], list):
            continue
        for row in entry["body"]:
            n = int(next(iter(row["keys"].values())).rsplit("-", 1)[1])  # every row key ends in "-n"
            if first <= n < first + count:
                key = (entry["path"], n)
                arrived[key] = min(arrived.get(key, entry["time"]), entry["time"])
    return [(at - accepted[first + (n - first) // 100 * 100]) * 1000 for (_, n), at in arrived.items()]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def share(seconds: float, elapsed: float) -> float:
    return round(seconds / elapsed, 2)


@dataclass
class Run:
    """One store's run: the processes, the emulator's inspection API, and the events sent so far."""

    store: str
    args: argparse.Namespace
    http: httpx.AsyncClient
    emulator: Process
    serve: Process
    url: str
    workers: list[Process] = field(default_factory=list)
    first: int = 0  # index of the next event to send
    expected: int = 0  # rows the events sent so far become
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.serve.popen.pid

    def workers_cpu(self) -> float:
        return sum(cpu_seconds(w.popen.pid) for w in self.workers)

    async def send(self, count: int, rate: float = 0) -> dict[str, Any]:
        sent = await run_client(self.url, self.first, count, rate, self.args.connections)
        self.expected += expected_rows(self.first, count)
        self.first += count
        return sent

    async def warm_up(self, sampler: RssSampler) -> None:
        """Imports, the OAuth token, caches."""
        await self.send(1000)
        await wait_delivered(self.http, self.expected, 60)
        self.result["rss_idle_mb"] = sampler.latest_mb

    async def steady(self) -> None:
        """Latency at an offered rate below capacity."""
        await self.http.delete("/__emulator/journal")
        first, count = self.first, self.args.events
        sent = await self.send(count, self.args.rate)
        await wait_delivered(self.http, self.expected, 60)
        journal = (await self.http.get("/__emulator/journal", params={"route": "rowset"})).json()
        await self.http.delete("/__emulator/journal")
        latencies = latencies_ms(journal, sent["batches"], first, count)
        self.result |= {
            "steady_events": count,
            "steady_rate": self.args.rate,
            "steady_accepted_events_per_sec": round(sent["accepted"] / sent["seconds"]),
            "latency_p50_ms": round(statistics.median(latencies), 1),
            "latency_p99_ms": round(percentile(latencies, 0.99), 1),
            "latency_max_ms": round(max(latencies), 1),
            "latency_rows": len(latencies),
        }

    async def backlog(self, sampler: RssSampler, profiler: Profiler) -> int:
        """A slow SFMC: the queue fills as fast as the ingest API accepts. Returns the rows queued."""
        rule = {"fault": "latency", "route": "rowset", "seconds": self.args.stall}
        (await self.http.put("/__emulator/faults", json={"rules": [rule]})).raise_for_status()
        cpu, busy, pg = cpu_seconds(self.pid), machine_busy_seconds(), postgres_cpu_seconds()
        started = time.perf_counter()
        profiler.start("ingest")
        sent = await self.send(self.args.backlog)
        profiler.stop()
        elapsed, serve_cpu = sent["seconds"], cpu_seconds(self.pid) - cpu
        queued = self.expected - await delivered_rows(self.http)
        self.result |= {
            "accepted_events_per_sec": round(sent["accepted"] / elapsed),
            "serve_cpu_us_per_accepted_event": round(serve_cpu / sent["accepted"] * 1e6, 1),
            "backlog_ingest_seconds": round(elapsed, 1),
            "request_ms_p50": sent["request_ms_p50"],
            "request_ms_p99": sent["request_ms_p99"],
            "client_cpu_share_ingest": share(sent["cpu_seconds"], elapsed),
            "serve_cpu_share_ingest": share(serve_cpu, elapsed),
            "machine_cores_busy_ingest": share(machine_busy_seconds() - busy, elapsed),
            "backlog_events": sent["accepted"],
            "backlog_rows_queued": queued,
            # The backlog grows about linearly while the client posts: a tenth of the way in, a tenth is queued.
            "rss_small_backlog_mb": sampler.at_mb(started + elapsed / 10),
            "rss_at_backlog_mb": sampler.latest_mb,
        }
        if self.store == "postgres":  # backends of ended connections are not counted: a lower bound
            self.result["postgres_cpu_share_ingest"] = share(postgres_cpu_seconds() - pg, elapsed)
        return queued

    async def drain(self, queued: int, profiler: Profiler) -> None:
        """SFMC answers at full speed again: rows per second until the backlog is gone."""
        await self.http.delete("/__emulator/faults")
        cleared = time.perf_counter()
        cpu, busy, pg = cpu_seconds(self.pid), machine_busy_seconds(), postgres_cpu_seconds()
        emulator_cpu, workers_cpu = cpu_seconds(self.emulator.popen.pid), self.workers_cpu()
        await asyncio.sleep(self.args.stall)  # rowsets answered slowly are still finishing
        start_count, start_at = await delivered_rows(self.http), time.perf_counter()
        profiler.start("drain")
        done_at = await wait_delivered(self.http, self.expected, 60, every=0.5)
        profiler.stop()
        elapsed, serve_cpu = done_at - cleared, cpu_seconds(self.pid) - cpu
        self.result |= {
            "delivered_rows_per_sec": round((self.expected - start_count) / (done_at - start_at)),
            "drain_seconds": round(elapsed, 1),
            "serve_cpu_us_per_delivered_row": round(serve_cpu / queued * 1e6, 1),
            "serve_cpu_share_drain": share(serve_cpu, elapsed),
            "machine_cores_busy_drain": share(machine_busy_seconds() - busy, elapsed),
            # Whether the emulator kept up: the share of one core it used while the backlog drained.
            "emulator_cpu_share_drain": share(cpu_seconds(self.emulator.popen.pid) - emulator_cpu, elapsed),
        }
        if self.workers:
            self.result["workers_cpu_share_drain"] = share(self.workers_cpu() - workers_cpu, elapsed)
        if self.store == "postgres":
            self.result["postgres_cpu_share_drain"] = share(postgres_cpu_seconds() - pg, elapsed)


async def store_bytes(database: str) -> int:
    """The store's size (SQLite file + WAL, or the PostgreSQL relations of its schema), as `status --json` says."""
    opened = await open_store(database, migrate=False)
    try:
        return (await opened.history.store_facts()).store_bytes
    finally:
        await opened.close()


async def bench_store(store: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    seed = write_seed(workdir / "seed.yaml", journal_size=200_000)
    port = free_port()
    emulator = Process(["-m", "sfmc_actions", "emulator", "--port", str(port), "--seed", str(seed)])
    emulator_url = f"http://127.0.0.1:{port}"
    schema = f"bench_e2e_{os.getpid()}"
    databases = {
        "sqlite": f"sqlite:///{workdir}/e2e.db",
        "sqlite-full": f"sqlite:///{workdir}/e2e.db?synchronous=full",
        "postgres": f"{POSTGRES}?schema={schema}",
    }
    if store not in databases:
        raise SystemExit(f"unknown store {store!r}: use {', '.join(databases)}")
    database = databases[store]
    config = write_config(
        workdir / "bench.yaml",
        emulator_url,
        secret_env_name="BENCH_SFMC_SECRET",
        source="bench",
        write_key=WRITE_KEY,
        delivery={"flush_interval": args.flush, "tenant_concurrency": args.concurrency},
        subscriptions=SUBSCRIPTIONS,
    )
    common = ["--config", str(config), "--database", database, "--log-level", "warning"]
    processes = [emulator]
    vacuum: asyncio.Task[None] | None = None
    try:
        async with httpx.AsyncClient(base_url=emulator_url, timeout=120) as http:
            await wait_ready(http, emulator)
            serve = Process(["-m", "sfmc_actions", "serve", "--port", "0", *common], env=SECRET_ENV)
            processes.append(serve)
            run = Run(store, args, http, emulator, serve, serve.wait_for(INGEST_URL))
            for _ in range(args.workers):
                run.workers.append(Process(["-m", "sfmc_actions", "worker", *common], env=SECRET_ENV))
                processes.append(run.workers[-1])
                run.workers[-1].wait_for(STARTED)
            run.result = {"store": store, "load_avg_1m_before": round(os.getloadavg()[0], 2)}
            run.result["store_bytes_start"] = await store_bytes(database)
            if args.workers:
                run.result["worker_processes"] = args.workers
            sampler, profiler = RssSampler(run.pid), Profiler(args.profile, store, run.pid)
            sampler.start()
            if store == "postgres" and args.pg_vacuum:
                vacuum = asyncio.create_task(stand_in_autovacuum(schema, args.pg_vacuum))
            await run.warm_up(sampler)
            await run.steady()
            await run.drain(await run.backlog(sampler, profiler), profiler)
            run.result["peak_rss_mb"] = round(proc_status(run.pid)["VmHWM"] / 1024, 1)
            run.result["rows_expected"], run.result["rows_delivered"] = run.expected, await delivered_rows(http)
            run.result["store_bytes_end"] = await store_bytes(database)
            sampler.stop()
            run.result["serve_exit_code"] = serve.stop()
            return run.result
    finally:
        if vacuum is not None:
            vacuum.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await vacuum
        for process in reversed(processes):
            process.stop()
        if store == "postgres":
            conn = await asyncpg.connect(POSTGRES)
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute for both stores")
    parser.add_argument(
        "--stores",
        default="sqlite,postgres",
        help="sqlite (WAL, synchronous=NORMAL: survives a crash of the process), sqlite-full (fsync "
        "per commit: survives power loss too), postgres (synchronous_commit as the server has it)",
    )
    parser.add_argument("--events", type=int, help="steady phase events (default 100,000; quick 10,000)")
    parser.add_argument("--backlog", type=int, help="backlog events (default 1,000,000; quick 50,000)")
    parser.add_argument("--rate", type=float, default=2500, help="steady phase offered events/s")
    parser.add_argument("--connections", type=int, default=4, help="client connections")
    parser.add_argument("--workers", type=int, default=0, help="`sfmc-actions worker` processes besides serve")
    parser.add_argument("--concurrency", type=int, default=8, help="delivery.tenant_concurrency (SFMC calls in flight)")
    parser.add_argument("--flush", type=float, default=1.0, help="delivery.flush_interval")
    parser.add_argument("--stall", type=float, default=2.0, help="seconds the emulator takes per rowset (backlog)")
    parser.add_argument(
        "--pg-vacuum",
        type=float,
        default=30.0,
        help="seconds between VACUUMs of the jobs table when the server has autovacuum off (0: none)",
    )
    parser.add_argument("--profile", type=Path, help="record serve with py-spy into this folder (ingest, drain)")
    args = parser.parse_args()
    args.events = args.events or (10_000 if args.quick else 100_000)
    args.backlog = args.backlog or (50_000 if args.quick else 1_000_000)
    for store in args.stores.split(","):
        with tempfile.TemporaryDirectory(prefix="sfmc-e2e-") as workdir:
            result = await bench_store(store, args, Path(workdir))
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
