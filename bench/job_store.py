"""Job store throughput: one JSON line per store.

    python bench/job_store.py [--stores sqlite,sqlite-full,postgres] [--events 50000] [--backlog 1000000]

Keys: `enqueue_events_per_sec` (batches of 100 from one task, each committed before the next, as the ingest
API does per request), `enqueue_events_per_sec_4_clients` (four tasks at once), `claim_apply_jobs_per_sec`
(claim 100 jobs of one batch key, mark them delivered, repeat), `claim_p50_ms` / `claim_p99_ms` (one claim of
up to 100 jobs). With `--backlog N` the store is first filled with N pending jobs, and the claim latency is
measured again on top of that backlog (`backlog_claim_p50_ms`, `backlog_claim_p99_ms`), and one `stats()`
call, which scans the table (`backlog_stats_ms`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from typing import Any

import asyncpg

from sfmc_actions.queue import JobDelivered, JobStore, NewJob, open_store

POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 100
TARGETS = 10  # data extensions the events are spread over


def make_jobs(start: int, count: int) -> list[NewJob]:
    """Realistic jobs: a Segment track event (~900 bytes of JSON) mapped to a data extension row."""
    jobs = []
    for n in range(start, start + count):
        message_id = f"ajs-{uuid.UUID(int=n)}"
        event = {
            "type": "track",
            "event": "Order Completed",
            "messageId": message_id,
            "userId": f"user-{n % 50_000}",
            "anonymousId": f"anon-{n}",
            "timestamp": "2024-05-01T12:00:00.000Z",
            "properties": {"order_id": f"o-{n}", "total": 42.5, "currency": "EUR", "products": [{"sku": "A1"}]},
            "context": {
                "ip": "203.0.113.7",
                "library": {"name": "analytics-python", "version": "2.3.2"},
                "page": {"url": "https://shop.example.com/checkout/complete", "referrer": "https://example.com/"},
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
            },
            "integrations": {},
        }
        payload = {"keys": {"OrderId": f"o-{n}"}, "values": {"Total": 42.5, "Email": f"user{n}@example.com"}}
        key = f"dataExtension:key:Orders{n % TARGETS}"
        jobs.append(NewJob("orders", "dataExtension", key, "mc-tenant", message_id, event, payload))
    return jobs


async def enqueue_rate(store: JobStore, events: int, clients: int, offset: int) -> float:
    batches = [make_jobs(offset + i, BATCH) for i in range(0, events, BATCH)]  # built before the clock starts

    async def client(mine: list[list[NewJob]]) -> None:
        for batch in mine:
            await store.enqueue(batch)

    started = time.perf_counter()
    await asyncio.gather(*(client(batches[c::clients]) for c in range(clients)))
    return events / (time.perf_counter() - started)


async def drain(store: JobStore, limit: int | None = None) -> tuple[int, list[float]]:
    """Claim up to 100 jobs and deliver them, until empty (or `limit` claims). Returns jobs, claim latencies."""
    done = 0
    latencies: list[float] = []
    while limit is None or len(latencies) < limit:
        started = time.perf_counter()
        batch = await store.claim_batch("bench", lease_seconds=60, max_jobs=BATCH)
        latencies.append(time.perf_counter() - started)
        if not batch:
            break
        await store.apply_outcomes("bench", [(job.id, JobDelivered()) for job in batch])
        done += len(batch)
    return done, latencies


def percentiles(latencies: list[float]) -> tuple[float, float]:
    ms = sorted(x * 1000 for x in latencies)
    return round(statistics.median(ms), 3), round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3)


async def fill(store: JobStore, count: int, offset: int) -> None:
    for start in range(0, count, 1000):
        await store.enqueue(make_jobs(offset + start, min(1000, count - start)))


async def bench_store(name: str, url: str, events: int, backlog: int) -> dict[str, Any]:
    store = await open_store(url)
    try:
        result: dict[str, Any] = {"store": name, "events": events}
        result["enqueue_events_per_sec"] = round(await enqueue_rate(store, events, 1, 0))
        result["enqueue_events_per_sec_4_clients"] = round(await enqueue_rate(store, events, 4, events))
        started = time.perf_counter()
        done, latencies = await drain(store)
        result["claim_apply_jobs_per_sec"] = round(done / (time.perf_counter() - started))
        result["claim_p50_ms"], result["claim_p99_ms"] = percentiles(latencies[:-1])
        if backlog:
            started = time.perf_counter()
            await fill(store, backlog, 2 * events)
            result["backlog"] = backlog
            result["backlog_fill_events_per_sec"] = round(backlog / (time.perf_counter() - started))
            _, latencies = await drain(store, limit=300)
            result["backlog_claim_p50_ms"], result["backlog_claim_p99_ms"] = percentiles(latencies)
            started = time.perf_counter()
            await store.stats()
            result["backlog_stats_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return result
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="sqlite,postgres", help="comma-separated: sqlite, sqlite-full, postgres")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--backlog", type=int, default=0, help="also measure claims over this many queued jobs")
    parser.add_argument("--postgres", default=POSTGRES_DSN)
    args = parser.parse_args()
    for name in args.stores.split(","):
        if name.startswith("sqlite"):
            with tempfile.TemporaryDirectory() as tmp:
                query = "?synchronous=full" if name == "sqlite-full" else ""
                result = await bench_store(name, f"sqlite:///{tmp}/bench.db{query}", args.events, args.backlog)
        elif name == "postgres":
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            try:
                result = await bench_store(name, f"{args.postgres}?schema={schema}", args.events, args.backlog)
            finally:
                conn = await asyncpg.connect(args.postgres)
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                await conn.close()
        else:
            parser.error(f"unknown store {name!r}: use sqlite, sqlite-full or postgres")
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
