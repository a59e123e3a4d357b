"""The load client of bench/e2e.py: posts batches of 100 Segment events to the ingest API; prints one JSON line.

    python bench/e2e_client.py --url http://127.0.0.1:8088 --first 0 --count 20000 [--rate 2500] [--connections 4]

Runs in its own process, so the server's numbers do not include the client's CPU time in the same interpreter.
Events are generated deterministically from their index `n` (the same n gives the same event, apart from the
timestamp, which is the sending time as an SDK would set it), in Segment's shapes as analytics.js sends them:

    n % 10 in 0-3: page                        -> Page_Views row    (key Message_ID = bench-n)
    n % 10 in 4-6: identify (email; 1 in 3 vip) -> Customers row     (key contactKey = user-n) [+ Audience_VIP row]
    n % 10 in 7-8: track "Order Completed"      -> Orders row        (key Order_ID = ord-n)
    n % 10 == 9:   track "Product Viewed"       -> matches no subscription (counted, not stored)

Every row's key carries n, so the bench finds each delivered row's event (and its accept time) in the emulator.
A 200 counts only when its body says success: the ingest API answers it once the batch is committed.
Output: {"accepted", "jobs", "rejected", "failed", "seconds", "cpu_seconds", "request_ms_p50", "request_ms_p99",
"batches": [[first_n, accept_unix_time], ...]}.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import resource
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

BATCH = 100
WRITE_KEY = "bench-write-key"
CURRENCIES = ("EUR", "USD", "GBP")
PLANS = ("free", "pro", "enterprise")
PAGES = ("Home", "Product", "Cart", "Checkout", "Blog", "Pricing")
CONTEXT = {
    "library": {"name": "analytics.js", "version": "4.1.0"},
    "ip": "203.0.113.9",
    "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "locale": "en-GB",
    "page": {"path": "/", "url": "https://shop.example.com/", "title": "Example Shop", "referrer": ""},
}


def rows_of(n: int) -> int:
    """Data extension rows event n becomes (the bench's subscriptions)."""
    kind = n % 10
    if kind <= 3 or kind in (7, 8):
        return 1
    if kind <= 6:
        return 2 if n % 3 == 0 else 1
    return 0


def expected_rows(first: int, count: int) -> int:
    return sum(rows_of(n) for n in range(first, first + count))


def event(n: int, timestamp: str) -> dict[str, Any]:
    # Deterministic per event whatever the batching, and cheap (random.Random(n) alone costs ~5 µs): the bits
    # of a multiplicative hash of n pick the values.
    h = (n * 2654435761) & 0xFFFFFFFF
    kind = n % 10
    user = f"user-{n}"
    common = {"messageId": f"bench-{n}", "anonymousId": f"anon-{n // 7}", "timestamp": timestamp, "context": CONTEXT}
    if kind <= 3:
        name = PAGES[h % len(PAGES)]
        path = f"/{name.lower()}/{h % 500}"
        props = {"url": f"https://shop.example.com{path}", "path": path, "title": f"{name} - Example Shop"}
        return {"type": "page", "userId": user, "name": name, "properties": props, **common}
    if kind <= 6:
        traits: dict[str, Any] = {
            "email": f"{user}@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "plan": PLANS[h % 3],
        }
        if n % 3 == 0:
            traits["vip_customers"] = h & 1024 == 0
        return {"type": "identify", "userId": user, "traits": traits, **common}
    if kind <= 8:
        revenue = 5 + h % 49500 / 100
        products = [{"product_id": f"sku-{h % 1000}", "price": revenue, "quantity": 1}]
        order = {"order_id": f"ord-{n}", "revenue": revenue, "currency": CURRENCIES[h % 3], "products": products}
        return {"type": "track", "userId": user, "event": "Order Completed", "properties": order, **common}
    viewed: dict[str, Any] = {"product_id": f"sku-{h % 1000}", "price": 5 + h % 49500 / 100}
    return {"type": "track", "userId": user, "event": "Product Viewed", "properties": viewed, **common}


def batch_body(first: int, count: int) -> bytes:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return orjson.dumps({"batch": [event(n, now) for n in range(first, first + count)]})


async def run(url: str, first: int, count: int, rate: float | None, connections: int) -> dict[str, Any]:
    starts = iter(range(first, first + count, BATCH))
    auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    result: dict[str, Any] = {"accepted": 0, "jobs": 0, "rejected": 0, "failed": 0, "batches": []}
    errors: list[str] = []
    took: list[float] = []  # seconds from sending a batch to its answer

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        began = time.perf_counter()

        async def connection() -> None:
            for start in starts:
                if rate:  # an open-loop schedule: batch k leaves at k * 100 / rate seconds
                    delay = began + (start - first) / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                size = min(BATCH, first + count - start)
                body = batch_body(start, size)
                sent = time.perf_counter()
                response = await client.post("/v1/batch", content=body, headers=headers)
                took.append(time.perf_counter() - sent)
                answer = response.json() if response.status_code == 200 else {}
                if answer.get("success") is not True:
                    result["failed"] += size
                    if len(errors) < 5:
                        errors.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                result["batches"].append([start, time.time()])
                result["accepted"] += answer["accepted"]
                result["jobs"] += answer["jobs"]
                result["rejected"] += answer["rejected"]

        await asyncio.gather(*(connection() for _ in range(connections)))
        result["seconds"] = time.perf_counter() - began
    took.sort()
    result["request_ms_p50"] = round(took[len(took) // 2] * 1000, 1) if took else None
    result["request_ms_p99"] = round(took[int(len(took) * 0.99)] * 1000, 1) if took else None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    if errors:
        result["errors"] = errors
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--first", type=int, default=0, help="index of the first event")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=0, help="events/s to offer (0: as fast as accepted)")
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.first, args.count, args.rate or None, args.connections))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
