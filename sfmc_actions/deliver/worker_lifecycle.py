"""The worker's lifecycle: its tasks (`run`), graceful and forced stops (`stop`), the one wake-up watcher per
process, and each task's loop of claiming and sending batches (worker.py sends them)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from sfmc_actions.deliver.batching import Batch, BatchAssembler, WorkSignal

if TYPE_CHECKING:
    from sfmc_actions.deliver.outcomes import Decision
    from sfmc_actions.deliver.tenants import TenantLimiter
    from sfmc_actions.deliver.worker import WorkerOptions
    from sfmc_actions.queue.store import JobStore

log = logging.getLogger("sfmc_actions.deliver.worker")


class WorkerLifecycle:
    """Run, stop, watch and loop, for `Worker` (worker.py), which holds the state used here."""

    store: JobStore
    options: WorkerOptions
    limiter: TenantLimiter
    name: str
    counts: Counter[str]
    _signal: WorkSignal
    _assembler: BatchAssembler
    _stopping: asyncio.Event
    _holding: set[str]
    _sending: set[str]
    _tasks: list[asyncio.Task[None]]
    _watch_errored: Callable[[], Coroutine[Any, Any, None]]  # JourneyDelivery's check of errored journey entries

    async def deliver(self, owner: str, batch: Batch) -> list[Decision]:
        raise NotImplementedError  # Worker.deliver

    def stop(self) -> None:
        """Begin a graceful stop: no new claims; batches not yet sending are released; sends finish.

        A second call stops at once: sends in flight are cancelled and their claims released."""
        if self._stopping.is_set():
            for task in self._tasks:
                task.cancel()
        self._stopping.set()
        self._signal.notify_all()

    def wake(self) -> None:
        """New work may be available: an idle task looks (the watcher of a group of workers calls this)."""
        self._signal.notify()

    async def run(self, *, watch: bool = True) -> None:
        """Deliver until stopped. `watch=False`: another watcher calls `wake` (workers.py, one per process: the
        store's wake-up is consumed by whoever waits on it first)."""
        owners = [f"{self.name}/{n}" for n in range(self.options.concurrency)]
        watcher = asyncio.create_task(self._watch() if watch else self._until_stopped(), name="sfmc-actions-wake")
        errored = asyncio.create_task(self._watch_errored(), name="sfmc-actions-errored-entries")
        tasks = {owner: asyncio.create_task(self._loop(owner), name=f"sfmc-actions-worker {owner}") for owner in owners}
        self._tasks = list(tasks.values())
        try:
            await self._stopping.wait()
            for owner, task in tasks.items():
                if owner not in self._holding:
                    task.cancel()  # idle or waiting for the limiter: nothing to finish
            _, late = await asyncio.wait(tasks.values(), timeout=self.options.shutdown_grace)
            for task in late:
                task.cancel()  # a send past the grace period: its claims are released below
            await asyncio.gather(*tasks.values(), return_exceptions=True)
        finally:
            for task in (*tasks.values(), watcher, errored):
                task.cancel()
            await asyncio.gather(*tasks.values(), watcher, errored, return_exceptions=True)
            released = 0
            for owner in owners:
                try:
                    released += await self.store.release(owner)
                except Exception as exc:  # a read-only, full or locked store: stop all the same, without a trace
                    log.warning(
                        "could not release the claims of worker %s (%s: %s): they return when their lease runs out",
                        self.name,
                        type(exc).__name__,
                        exc,
                    )
                    break  # the others would fail (or wait out the busy timeout) the same way
            log.info("worker stopped", extra={"worker": self.name, "released": released, **self.counts})

    async def _until_stopped(self) -> None:
        await self._stopping.wait()

    async def _watch(self) -> None:
        """One watcher per process turns the store's wake-ups (NOTIFY, local enqueues, commits) into signals."""
        while True:
            try:
                if await self.store.wait_for_work(self.options.idle_poll):
                    self._signal.notify()
            except Exception as exc:  # a store outage must not end the watcher
                log.warning("waiting for work failed: %s", exc)
                await asyncio.sleep(1.0)

    async def _loop(self, owner: str) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                batch = await self._one_batch(owner)
                failures = 0
            except Exception as exc:  # the store or a bug: log it, back off, keep the task alive
                if self._stopping.is_set():  # stopping anyway: one line, no traceback (the store may be gone)
                    log.warning("delivery task %s stopped on %s: %s", owner, type(exc).__name__, exc)
                    return
                failures += 1
                log.exception("delivery task %s failed; retrying in %.0f s", owner, min(30.0, 2.0**failures))
                self._holding.discard(owner)
                await asyncio.sleep(min(30.0, 2.0**failures))
                continue
            if batch is None:
                await self._signal.wait_idle(self.options.idle_poll)

    async def _one_batch(self, owner: str) -> Batch | None:
        async with self.limiter.batch():
            if self._stopping.is_set():
                return None
            self._holding.add(owner)
            try:
                batch = await self._assembler.next_batch(owner, self._stopping.is_set)
                if batch is None:
                    return None
                self._signal.notify_one()  # there was work: another task may find more
                if self._stopping.is_set():
                    await self.store.release(owner, [job.id for job in batch.jobs])
                    return batch
                self._sending.add(owner)
                await self.deliver(owner, batch)
                return batch
            finally:
                self._holding.discard(owner)
                self._sending.discard(owner)
