"""Several destinations in one process: one `Worker` per destination, run side by side.

Each destination's worker has its own SFMC client (settings, OAuth token), tenant limiter (adaptive 429 window,
pause on refused credentials), concurrency (`delivery.tenant_concurrency` tasks) and claims (the store hands a
worker only its destination's jobs), so a throttled tenant or refused credentials hold up only that
destination's tasks, never another's. One watcher per process turns the store's wake-ups into a wake-up of every
worker: the store's signal is consumed by whoever waits on it first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence

from sfmc_actions.deliver.worker import Worker

log = logging.getLogger("sfmc_actions.deliver.worker")


class Workers:
    def __init__(self, workers: Sequence[Worker]) -> None:
        if not workers:
            raise ValueError("a group of workers needs at least one worker")
        self.workers = list(workers)

    def __repr__(self) -> str:
        return f"Workers({[w.destination for w in self.workers]})"

    def __iter__(self) -> Iterator[Worker]:
        return iter(self.workers)

    @property
    def tasks_per_process(self) -> int:
        return sum(w.options.concurrency for w in self.workers)

    def stop(self) -> None:
        """Graceful stop of every worker; a second call stops them at once (Worker.stop)."""
        for worker in self.workers:
            worker.stop()

    async def run(self) -> None:
        """Run every worker until stopped; if one ends on an error, stop the others and raise it."""
        if len(self.workers) == 1:
            await self.workers[0].run()
            return
        runs = [asyncio.create_task(w.run(watch=False), name=f"sfmc-actions-{w.destination}") for w in self.workers]
        watcher = asyncio.create_task(self._watch(), name="sfmc-actions-wake")
        try:
            done, _ = await asyncio.wait(runs, return_when=asyncio.FIRST_EXCEPTION)
            errors = [exc for task in done if not task.cancelled() and (exc := task.exception()) is not None]
            if errors:
                self.stop()
            await asyncio.gather(*runs, return_exceptions=True)
            if errors:
                raise errors[0]
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _watch(self) -> None:
        first = self.workers[0]
        while True:
            try:
                if await first.store.wait_for_work(first.options.idle_poll):
                    for worker in self.workers:
                        worker.wake()
            except Exception as exc:  # a store outage must not end the watcher
                log.warning("waiting for work failed: %s", exc)
                await asyncio.sleep(1.0)
