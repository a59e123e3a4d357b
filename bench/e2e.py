"""End-to-end service benchmark: `serve` and the SFMC emulator as processes; one JSON line per store.

    python bench/e2e.py [--quick] [--stores sqlite,postgres] [--events N] [--backlog N] [--rate R] [--connections C]

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

Also reported: serve's CPU per accepted event and per delivered row (utime+stime from /proc), the 1-minute load
average before the run (the machine is shared), and the expected and delivered row totals (they must match).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import yaml
from e2e_client import WRITE_KEY, expected_rows  # bench/ is on sys.path: this script's folder

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "emulator-seed.yaml"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
INGEST_URL = re.compile(r"ingest API on (http://\S+?),")
BENCH_DES = ("Customers", "Orders", "Page_Views", "Audience_VIP")
CONFIG = """
settings:
  subdomain: mcdemo0000000000000000000000
  account_id: "100000001"
  client_id: demo-client-id
  client_secret: ${{BENCH_SFMC_SECRET}}
  api_base_url: {emulator}
sources:
  - name: bench
    write_key: {write_key}
delivery:
  flush_interval: {flush}
subscriptions:
  - name: customers-de
    action: contactDataExtension
    trigger: type = "identify" and traits.email != null
    mapping:
      key: Customers
      keys: {{ contactKey: {{ "@path": "$.userId" }} }}
      values:
        Email: {{ "@path": "$.traits.email" }}
        First_Name: {{ "@path": "$.traits.first_name" }}
        Last_Name: {{ "@path": "$.traits.last_name" }}
        Plan: {{ "@if": {{ "exists": {{ "@path": "$.traits.plan" }}, "then": {{ "@path": "$.traits.plan" }},
                           "else": "free" }} }}
        Updated_At: {{ "@path": "$.timestamp" }}
  - name: vip-audience
    action: contactDataExtension
    trigger: type = "identify" and traits.vip_customers != null
    mapping:
      key: Audience_VIP
      keys: {{ contactKey: {{ "@path": "$.userId" }} }}
      values:
        In_Audience: {{ "@path": "$.traits.vip_customers" }}
        Email: {{ "@path": "$.traits.email" }}
  - name: orders-de
    action: dataExtension
    trigger: type = "track" and event = "Order Completed"
    mapping:
      key: Orders
      keys: {{ Order_ID: {{ "@path": "$.properties.order_id" }} }}
      values:
        Contact_Key: {{ "@path": "$.userId" }}
        Revenue: {{ "@path": "$.properties.revenue" }}
        Currency: {{ "@path": "$.properties.currency" }}
        Summary: {{ "@template":
                    "{{{{properties.order_id}}}}: {{{{properties.currency}}}} {{{{properties.revenue}}}}" }}
        Ordered_At: {{ "@path": "$.timestamp" }}
  - name: page-views-de
    action: dataExtension
    trigger: type = "page"
    mapping:
      key: Page_Views
      keys: {{ Message_ID: {{ "@path": "$.messageId" }} }}
      values:
        Contact_Key: {{ "@path": "$.userId" }}
        Page_Name: {{ "@path": "$.name" }}
        URL: {{ "@path": "$.properties.url" }}
        Viewed_At: {{ "@path": "$.timestamp" }}
"""


class Profiler:
    """`--profile DIR`: py-spy (pip install py-spy, not a project dependency) records serve during a phase, as
    collapsed stacks per thread (DIR/STORE-PHASE.txt) of the thread holding the GIL: where serve's Python time
    goes. (`--idle` instead of `--gil` shows what waits.)"""

    def __init__(self, folder: Path | None, store: str, pid: int) -> None:
        self.folder, self.store, self.pid = folder, store, pid
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, phase: str) -> None:
        if self.folder is None:
            return
        out = self.folder / f"{self.store}-{phase}.txt"
        command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(self.pid), "--format", "raw",
                   "--threads", "--gil", "--rate", "200", "--output", str(out)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)
            self.process = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL server process alive now (children of the postmaster included)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                total += cpu_seconds(int(entry.name))
        except OSError:  # exited meanwhile
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class Process:
    """A child process whose stderr is read by a thread (so it never blocks on a full pipe)."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.popen = subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if match := pattern.search(line):
                    return match.group(1)
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"{self.popen.args} did not start:\n" + "\n".join(self.lines[-30:]))

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(60)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait(10)
        self._reader.join(5)
        return code


class RssSampler(threading.Thread):
    """Samples a process's VmRSS (kB) every `every` seconds, keeping (perf_counter, kB) pairs."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.samples.append((time.perf_counter(), proc_status(self.pid)["VmRSS"]))
            except (OSError, KeyError):
                return

    @property
    def latest_mb(self) -> float:
        return round(self.samples[-1][1] / 1024, 1) if self.samples else 0.0

    def at_mb(self, when: float) -> float:
        """The first sample at or after `when`."""
        return round(next((kb for t, kb in self.samples if t >= when), self.samples[-1][1]) / 1024, 1)

    def stop(self) -> None:
        self._stop.set()


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


async def run_client(url: str, first: int, count: int, rate: float, connections: int) -> dict[str, Any]:
    command = [sys.executable, str(ROOT / "bench" / "e2e_client.py"), "--url", url, "--first", str(first),
               "--count", str(count), "--rate", str(rate), "--connections", str(connections)]  # fmt: skip
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


async def stand_in_autovacuum(schema: str, every: float) -> None:
    """VACUUM ANALYZE the jobs table every `every` seconds, when the server runs with autovacuum off.

    A queue table leaves a dead row version per claim and per outcome, which autovacuum clears (the migration
    asks for it after 1% of the table changed). The local test server has autovacuum off; production servers
    have it on. Without either, claims step over ever more dead index entries as the run goes on.
    """
    conn = await asyncpg.connect(POSTGRES)
    try:
        if await conn.fetchval("SHOW autovacuum") == "on":
            return
        while True:
            await asyncio.sleep(every)
            await conn.execute(f"VACUUM (ANALYZE) {schema}.jobs")
    finally:
        await conn.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def bench_store(store: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"store": store, "load_avg_1m_before": round(os.getloadavg()[0], 2)}
    seed = yaml.safe_load(SEED.read_text())
    seed["options"] = {**(seed.get("options") or {}), "journal_size": 200_000}
    seed_file = workdir / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(seed))
    port = free_port()
    emulator = Process(["-m", "sfmc_actions", "emulator", "--port", str(port), "--seed", str(seed_file)])
    emulator_url = f"http://127.0.0.1:{port}"
    schema = f"bench_e2e_{os.getpid()}"
    database = f"sqlite:///{workdir}/e2e.db" if store == "sqlite" else f"{POSTGRES}?schema={schema}"
    config = workdir / "bench.yaml"
    config.write_text(CONFIG.format(emulator=emulator_url, write_key=WRITE_KEY, flush=args.flush))
    serve: Process | None = None
    vacuum: asyncio.Task[None] | None = None
    try:
        async with httpx.AsyncClient(base_url=emulator_url, timeout=120) as http:
            for _ in range(400):
                try:
                    if (await http.get("/__emulator/")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            serve = Process(
                [
                    "-m",
                    "sfmc_actions",
                    "serve",
                    "--config",
                    str(config),
                    "--port",
                    "0",
                    "--database",
                    database,
                    "--log-level",
                    "warning",
                ],
                env={"BENCH_SFMC_SECRET": "demo-client-secret"},
            )
            url = serve.wait_for(INGEST_URL)
            pid = serve.popen.pid
            sampler = RssSampler(pid)
            sampler.start()
            profiler = Profiler(args.profile, store, pid)
            if store == "postgres" and args.pg_vacuum:
                vacuum = asyncio.create_task(stand_in_autovacuum(schema, args.pg_vacuum))
            first, expected = 0, 0

            # Warm-up: imports, the OAuth token, caches.
            await run_client(url, first, 1000, 0, args.connections)
            expected += expected_rows(first, 1000)
            first += 1000
            await wait_delivered(http, expected, 60)
            result["rss_idle_mb"] = sampler.latest_mb

            # 1. steady: latency at an offered rate below capacity.
            await http.delete("/__emulator/journal")
            steady = await run_client(url, first, args.events, args.rate, args.connections)
            expected += expected_rows(first, args.events)
            await wait_delivered(http, expected, 60)
            journal = (await http.get("/__emulator/journal", params={"route": "rowset"})).json()
            latencies = latencies_ms(journal, steady["batches"], first, args.events)
            result["steady_events"] = args.events
            result["steady_rate"] = args.rate
            result["steady_accepted_events_per_sec"] = round(steady["accepted"] / steady["seconds"])
            result["latency_p50_ms"] = round(statistics.median(latencies), 1)
            result["latency_p99_ms"] = round(percentile(latencies, 0.99), 1)
            result["latency_max_ms"] = round(max(latencies), 1)
            result["latency_rows"] = len(latencies)
            first += args.events
            await http.delete("/__emulator/journal")

            # 2. backlog: a slow SFMC; the queue fills as fast as the ingest API accepts.
            rule = {"fault": "latency", "route": "rowset", "seconds": args.stall}
            (await http.put("/__emulator/faults", json={"rules": [rule]})).raise_for_status()
            cpu, busy, pg = cpu_seconds(pid), machine_busy_seconds(), postgres_cpu_seconds()
            started = time.perf_counter()
            profiler.start("ingest")
            backlog = await run_client(url, first, args.backlog, 0, args.connections)
            profiler.stop()
            ingest_cpu = cpu_seconds(pid) - cpu
            result["accepted_events_per_sec"] = round(backlog["accepted"] / backlog["seconds"])
            result["serve_cpu_us_per_accepted_event"] = round(ingest_cpu / backlog["accepted"] * 1e6, 1)
            result["backlog_ingest_seconds"] = round(backlog["seconds"], 1)
            result["request_ms_p50"], result["request_ms_p99"] = backlog["request_ms_p50"], backlog["request_ms_p99"]
            result["client_cpu_share_ingest"] = round(backlog["cpu_seconds"] / backlog["seconds"], 2)
            result["serve_cpu_share_ingest"] = round(ingest_cpu / backlog["seconds"], 2)
            result["machine_cores_busy_ingest"] = round((machine_busy_seconds() - busy) / backlog["seconds"], 2)
            if store == "postgres":  # backends of ended connections are not counted: a lower bound
                result["postgres_cpu_share_ingest"] = round((postgres_cpu_seconds() - pg) / backlog["seconds"], 2)
            expected += expected_rows(first, args.backlog)
            queued = expected - await delivered_rows(http)
            result["backlog_events"] = backlog["accepted"]
            result["backlog_rows_queued"] = queued
            # The backlog grows about linearly while the client posts: a tenth of the way in, a tenth is queued.
            result["rss_small_backlog_mb"] = sampler.at_mb(started + backlog["seconds"] / 10)
            result["rss_at_backlog_mb"] = sampler.latest_mb

            # 3. drain at full speed.
            await http.delete("/__emulator/faults")
            cleared = time.perf_counter()
            cpu, emulator_cpu, busy = cpu_seconds(pid), cpu_seconds(emulator.popen.pid), machine_busy_seconds()
            pg = postgres_cpu_seconds()
            await asyncio.sleep(args.stall)  # rowsets answered slowly are still finishing
            start_count, start_at = await delivered_rows(http), time.perf_counter()
            profiler.start("drain")
            done_at = await wait_delivered(http, expected, 60, every=0.5)
            profiler.stop()
            result["delivered_rows_per_sec"] = round((expected - start_count) / (done_at - start_at))
            result["drain_seconds"] = round(done_at - cleared, 1)
            drain_cpu = cpu_seconds(pid) - cpu
            result["serve_cpu_us_per_delivered_row"] = round(drain_cpu / queued * 1e6, 1)
            result["serve_cpu_share_drain"] = round(drain_cpu / (done_at - cleared), 2)
            result["machine_cores_busy_drain"] = round((machine_busy_seconds() - busy) / (done_at - cleared), 2)
            if store == "postgres":
                result["postgres_cpu_share_drain"] = round((postgres_cpu_seconds() - pg) / (done_at - cleared), 2)
            # Whether the emulator kept up: the share of one core it used while the backlog drained.
            result["emulator_cpu_share_drain"] = round(
                (cpu_seconds(emulator.popen.pid) - emulator_cpu) / (done_at - cleared), 2
            )
            result["peak_rss_mb"] = round(proc_status(pid)["VmHWM"] / 1024, 1)
            result["rows_expected"], result["rows_delivered"] = expected, await delivered_rows(http)
            sampler.stop()
            result["serve_exit_code"] = serve.stop()
    finally:
        if vacuum is not None:
            vacuum.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await vacuum
        if serve is not None:
            serve.stop()
        emulator.stop()
        if store == "postgres":
            conn = await asyncpg.connect(POSTGRES)
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            await conn.close()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute for both stores")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--events", type=int, help="steady phase events (default 100,000; quick 10,000)")
    parser.add_argument("--backlog", type=int, help="backlog events (default 1,000,000; quick 50,000)")
    parser.add_argument("--rate", type=float, default=2500, help="steady phase offered events/s")
    parser.add_argument("--connections", type=int, default=4, help="client connections")
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
