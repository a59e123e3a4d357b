"""A worker process for the multi-process contract test: claims and delivers until the queue is empty.

Usage: python -m tests.integration.queue.claimer STORE_URL OWNER. Prints "ready" once connected, waits for a
"go" line on stdin (so every process competes from the start), then prints the claimed job ids as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys

from sfmc_actions.queue import JobDelivered, open_store


async def main(url: str, owner: str) -> None:
    store = await open_store(url)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    claimed: list[int] = []
    try:
        while batch := await store.claim_batch(owner, lease_seconds=60, max_jobs=20):
            claimed.extend(job.id for job in batch)
            await asyncio.sleep(0.005)  # the "send": lets the other processes in
            result = await store.apply_outcomes(owner, [(job.id, JobDelivered()) for job in batch])
            if result.lost:
                raise SystemExit(f"lost leases {result.lost}")
    finally:
        await store.close()
    print(json.dumps(claimed), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
