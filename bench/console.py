"""The console's overview on a big store: one JSON line.

    python bench/console.py [--jobs 1000000] [--days 90] [--runs 7]

Fills a SQLite store (the default store) with `--jobs` jobs (most delivered, some waiting, some dead) and `--days`
of per-minute history for 6 subscriptions (counters, 3 latency buckets, 2 sources) plus 200 error groups,
bulk-inserted with plain SQL in one transaction per table (minutes, not hours), then times the overview as the
server computes it, in process, each window: `overview_<window>_ms` is the median of `--runs` calls of the
function behind GET /admin/api/overview (what the page and `status --since` read), `page_<window>_ms` the median
of whole GET / requests through the ASGI app (data and template; the charts load after it from
/overview/charts: `charts_<window>_ms`). The target is <= 300 ms.
`part_*_ms`: each read the overview makes, alone (store.stats() groups every stored job: the live queue counts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from sfmc_actions.console import create_console_app
from sfmc_actions.console.reports import STEPS, overview
from sfmc_actions.queue import open_store
from sfmc_actions.service.console import console_context
from sfmc_actions.service.load import load
from sfmc_actions.service.run import emulator_settings

ROOT = Path(__file__).resolve().parents[1]
SUBSCRIPTIONS = ("create-contact", "customers-de", "orders-de", "page-views-de", "welcome-journey", "vip-audience")
EVENT = json.dumps({"type": "track", "event": "Order Completed", "userId": "u", "properties": {"order_id": "o"}})


def fill(path: Path, jobs: int, days: int) -> dict[str, int]:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    now = time.time()
    start = now - days * 86400
    rng = random.Random(7)
    minutes = range(int(start) // 60 * 60, int(now) // 60 * 60 + 60, 60)
    with conn:
        conn.executemany(
            "INSERT INTO history (minute, destination, subscription, delivered, dead, retried, invalid) "
            "VALUES (?, 'default', ?, ?, ?, ?, ?)",
            (
                (m, s, rng.randint(5, 50), rng.randint(0, 2), rng.randint(0, 3), rng.randint(0, 1))
                for m in minutes
                for s in SUBSCRIPTIONS
            ),
        )
        conn.executemany(
            "INSERT INTO history (minute, destination, subscription, sfmc_requests, token_requests) "
            "VALUES (?, 'default', '', ?, ?)",
            ((m, rng.randint(5, 30), 1 if m % 1200 == 0 else 0) for m in minutes),
        )
        conn.executemany(
            "INSERT INTO history_latency (minute, destination, subscription, le_ms, count) "
            "VALUES (?, 'default', ?, ?, ?)",
            ((m, s, le, rng.randint(1, 20)) for m in minutes for s in SUBSCRIPTIONS for le in (250, 1000, 2500)),
        )
        conn.executemany(
            "INSERT INTO history_sources (minute, source, accepted, rejected, unmatched) VALUES (?, ?, ?, ?, ?)",
            ((m, src, rng.randint(20, 200), rng.randint(0, 2), rng.randint(0, 10)) for m in minutes for src in "ab"),
        )
        for g in range(200):
            group = f"{g:016x}"
            last = now - rng.random() * days * 86400
            conn.execute(
                "INSERT INTO error_groups VALUES ('default', ?, ?, ?, ?, ?, ?)",
                (SUBSCRIPTIONS[g % 6], f"error number {g}: column [N] is not valid", group, 10, last - 3600, last),
            )
            for k in range(3):
                conn.execute(
                    "INSERT INTO error_samples (group_id, job_id, at, error, event, request, response) "
                    "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    (group, g * 3 + k + 1, last - k, f"error number {g}", EVENT, '{"keys": {}}'),
                )
    # Jobs last: a job stored dead counts in the history through a trigger, which adds to the rows above.
    with conn:
        rows = []
        for n in range(jobs):
            created = start + (now - start) * n / jobs
            state = "delivered" if n % 100 < 97 else ("pending" if n % 100 < 99 else "dead")
            sub = SUBSCRIPTIONS[n % len(SUBSCRIPTIONS)]
            reason = "Email: not a valid email address" if state == "dead" else None
            rows.append(
                (n + 1, sub, "dataExtension", "dataExtension:key:Orders", "bench", f"m-{n}", state, 1, created,
                 created, created + 1, reason, created + 1 if state == "delivered" else None)
            )  # fmt: skip
            if len(rows) == 50_000:
                _insert_jobs(conn, rows)
                rows = []
        _insert_jobs(conn, rows)
    counts = {
        "jobs": conn.execute("SELECT count(*) FROM jobs").fetchone()[0],
        "history_rows": conn.execute("SELECT count(*) FROM history").fetchone()[0],
        "history_latency_rows": conn.execute("SELECT count(*) FROM history_latency").fetchone()[0],
    }
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    return counts


def _insert_jobs(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO jobs (id, subscription, action, batch_key, tenant, message_id, state, attempts, created_at, "
        "available_at, updated_at, dead_reason, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO job_bodies (job_id, event) VALUES (?, ?)", ((r[0], EVENT) for r in rows))


async def measure(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    db = folder / "console-bench.db"
    store = await open_store(f"sqlite:///{db}")  # creates and migrates the schema
    await store.close()
    started = time.perf_counter()
    counts = fill(db, args.jobs, args.days)
    fill_seconds = time.perf_counter() - started
    store = await open_store(f"sqlite:///{db}")
    loaded = load(ROOT / "examples" / "quickstart.yaml")
    targets = {"default": emulator_settings("http://127.0.0.1:9")}
    ctx = console_context(loaded, store, str(db), targets, "http://127.0.0.1:9")
    result: dict[str, Any] = {"bench": "console", **counts, "days": args.days, "fill_seconds": round(fill_seconds, 1)}
    transport = httpx.ASGITransport(create_console_app(ctx))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8089") as http:
            for key in ("1h", "24h", "7d"):
                await overview(ctx, key)  # warm the page cache once, as a running console has it
                result[f"overview_{key}_ms"] = await _median(args.runs, lambda k=key: overview(ctx, k))
                result[f"page_{key}_ms"] = await _median(args.runs, lambda k=key: http.get(f"/?since={k}"))
                result[f"charts_{key}_ms"] = await _median(
                    args.runs, lambda k=key: http.get(f"/overview/charts?since={k}")
                )
        # Where the time goes: the reads the overview makes, one by one.
        history, now = store.history, datetime.now(UTC)
        result["part_stats_ms"] = await _median(args.runs, store.stats)
        result["part_waiting_ms"] = await _median(args.runs, store.waiting)
        result["part_store_facts_ms"] = await _median(args.runs, history.store_facts)
        for key, span in (("1h", timedelta(hours=1)), ("7d", timedelta(days=7))):
            result[f"part_totals_{key}_ms"] = await _median(args.runs, lambda s=span: history.totals(now - s, now))
            result[f"part_series_{key}_ms"] = await _median(
                args.runs, lambda s=span, k=key: history.series(now - s, now, STEPS[k])
            )
    finally:
        await store.close()
    result["target_ms"] = 300
    return result


async def _median(runs: int, call: Any) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", help="build the store in this (empty) folder and keep it")
    args = parser.parse_args()
    if args.keep:
        print(json.dumps(asyncio.run(measure(Path(args.keep), args))))
        return
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(asyncio.run(measure(Path(folder), args))))


if __name__ == "__main__":
    main()
