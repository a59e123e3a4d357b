"""An ingest process for the kill -9 contract test: enqueues batches of 100 forever, printing the running
total after each enqueue returns (that is, after the batch was accepted).

Usage: python -m tests.integration.queue.enqueuer STORE_URL
"""

from __future__ import annotations

import asyncio
import sys

from sfmc_actions.queue import NewJob, open_store


async def main(url: str) -> None:
    store = await open_store(url)
    accepted = 0
    while True:
        batch = [
            NewJob("orders", "dataExtension", "dataExtension:key:Orders", "t", f"m-{accepted + n}", {"n": n}, {"n": n})
            for n in range(100)
        ]
        accepted += (await store.enqueue(batch)).accepted
        print(accepted, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
