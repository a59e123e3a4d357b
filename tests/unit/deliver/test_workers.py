"""A group of workers (one per destination): one wake-up watcher wakes them all; one failing stops the rest."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from sfmc_actions.deliver import Worker, Workers


class FakeStore:
    def __init__(self) -> None:
        self.wakes: asyncio.Queue[bool] = asyncio.Queue()

    async def wait_for_work(self, timeout: float) -> bool:
        try:
            return await asyncio.wait_for(self.wakes.get(), timeout)
        except TimeoutError:
            return False


@dataclass
class Options:
    concurrency: int = 3
    idle_poll: float = 0.05


@dataclass
class FakeWorker:
    destination: str
    store: FakeStore
    fail: bool = False
    options: Options = field(default_factory=Options)
    woken: int = 0
    watched: bool | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self.woken += 1

    def stop(self) -> None:
        self.stopped.set()

    async def run(self, *, watch: bool = True) -> None:
        self.watched = watch
        if self.fail:
            await asyncio.sleep(0.01)
            raise RuntimeError(f"{self.destination} broke")
        await self.stopped.wait()


def group(*workers: FakeWorker) -> Workers:
    return Workers([cast(Worker, w) for w in workers])


async def test_one_watcher_wakes_every_destinations_worker() -> None:
    store = FakeStore()
    emea, us = FakeWorker("emea", store), FakeWorker("us", store)
    workers = group(emea, us)
    run = asyncio.create_task(workers.run())
    await store.wakes.put(True)
    for _ in range(100):
        if emea.woken and us.woken:
            break
        await asyncio.sleep(0.01)
    workers.stop()
    await asyncio.wait_for(run, 5)
    assert (emea.woken, us.woken) == (1, 1)
    assert emea.watched is False and us.watched is False  # the group watches, not each worker
    assert workers.tasks_per_process == 6


async def test_a_failing_worker_stops_the_others_and_its_error_is_raised() -> None:
    store = FakeStore()
    good, bad = FakeWorker("emea", store), FakeWorker("us", store, fail=True)
    with pytest.raises(RuntimeError, match="us broke"):
        await asyncio.wait_for(group(good, bad).run(), 5)
    assert good.stopped.is_set()


def test_a_group_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        Workers(cast(Any, []))
