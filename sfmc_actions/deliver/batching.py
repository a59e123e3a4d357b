"""Assembling batches: claim jobs sharing a batch key until the batch is full or its flush time comes.

A batch is sent when it holds the action's batch size (a subscription's `batch_size` overrides it) or when its
oldest job has waited `delivery.flush_interval` (1 s) since it was accepted, whichever comes first; a job that
is being retried has waited already and goes at once. Per-event actions (contacts, journey events: one SFMC
call per event) never wait: a claim of a few of them is sent as it is.

The key is unknown until the first claim (the store hands out the oldest available key), so the first claim
takes `SendPlans.peek_size` jobs: the largest claim size among the subscriptions, at most `PEEK_CAP`, so that a
backlog costs one claim per batch. A key whose batch size is smaller may get more jobs than that: its action
cuts them into requests of its batch size (rowsets.py, async_data_extension.py; per-event actions make one
request per job anyway). A key whose batch size is larger is topped up by claims that name the key.
Leases are sized, not renewed: a claim's lease covers the longest
send its action may make (`SendPlan.lease`), and the worker cuts a send off `LEASE_MARGIN` before the lease ends,
so a slow SFMC never lets a second worker take over jobs that are still being sent.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.queue.jobs import Job
from sfmc_actions.queue.rows import utc_now
from sfmc_actions.queue.store import JobStore
from sfmc_actions.sfmc.actions import Action
from sfmc_actions.sfmc.actions.async_data_extension import AsyncRowsAction
from sfmc_actions.sfmc.actions.base import PerEventAction

PER_EVENT_CLAIM = 10  # per-event actions: jobs per claim (sent `action.concurrency` at a time)
DEFAULT_LEASE = 120.0  # seconds: four full 30 s SFMC timeouts back to back (rowset bad-row isolation)
LEASE_MARGIN = 15.0  # a send is cut off this long before its lease ends (a quarter of a lease shorter than 60 s)
MIN_TOP_UP_GAP = 0.05  # a partial batch re-claims at most 20 times a second
PEEK_CAP = 50  # SFMC's synchronous rowset batch: a first claim never takes more


class Subscription(Protocol):
    """A subscription as delivery sees it. Stages do not import each other: the wiring hands deliver the routing
    stage's subscriptions (route.subscriptions.Subscription), which have this shape."""

    @property
    def name(self) -> str: ...

    @property
    def action(self) -> Action: ...

    @property
    def hook_outputs(self) -> dict[str, Any]: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def on_audience_exit(self) -> str: ...  # "delete": Engage audience exits delete their row (audience_exit.py)


@dataclass(frozen=True)
class SendPlan:
    """How one subscription's jobs are delivered."""

    subscription: Subscription
    action: Action  # with the subscription's batch size applied
    claim_size: int
    waits_for_more: bool
    lease: float


def send_plan_for(subscription: Subscription, batch_size: int | None, lease: float = DEFAULT_LEASE) -> SendPlan:
    """Raises ValueError (with the reason) when `batch_size` does not suit the action."""
    action = subscription.action if batch_size is None else subscription.action.with_batch_size(batch_size)
    per_event = isinstance(action, PerEventAction)
    claim = (batch_size or PER_EVENT_CLAIM) if per_event else action.batch_size
    if isinstance(action, AsyncRowsAction):
        lease += action.poll.timeout  # it waits for SFMC's async job before it knows each row's outcome
    return SendPlan(subscription, action, claim, waits_for_more=not per_event and claim > 1, lease=lease)


class SendPlans:
    """The deliverable subscriptions of the current config, by name."""

    def __init__(self, plans: Sequence[SendPlan]) -> None:
        self._by_name = {r.subscription.name: r for r in plans}
        sizes = [r.claim_size for r in plans] or [1]
        self.peek_size = min(max(sizes), PEEK_CAP)
        self.peek_lease = max([r.lease for r in plans] or [DEFAULT_LEASE])

    @classmethod
    def build(
        cls, subscriptions: Sequence[Subscription], batch_sizes: Mapping[str, int | None], lease: float = DEFAULT_LEASE
    ) -> SendPlans:
        return cls([send_plan_for(s, batch_sizes.get(s.name), lease) for s in subscriptions if s.enabled])

    def get(self, name: str | None) -> SendPlan | None:
        return self._by_name.get(name) if name is not None else None

    def __iter__(self) -> Iterator[SendPlan]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


@dataclass
class Batch:
    key: str
    jobs: list[Job]
    plan: SendPlan | None  # of the first job's subscription; None: not in the current config
    send_by: float  # time.monotonic() by which the send must have finished

    @property
    def budget(self) -> float:
        return self.send_by - time.monotonic()


class WorkSignal:
    """Wake-ups for the worker tasks of one process, fed by one `store.wait_for_work` watcher.

    Idle tasks are woken one at a time (`notify_one`); a task that found work wakes the next, so a burst of
    work recruits tasks as fast as they find some, and one small enqueue does not make every task claim.
    Tasks holding a partial batch listen to every wake-up (`wait_any`).
    """

    def __init__(self) -> None:
        self._idle: deque[asyncio.Future[bool]] = deque()
        self._any: asyncio.Event | None = None
        self._pending = False

    def notify(self) -> None:
        self.notify_one()
        if self._any is not None:
            self._any.set()
            self._any = None

    def notify_one(self) -> None:
        while self._idle:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self._pending = True  # no task was waiting: the next one to wait looks at once

    def notify_all(self) -> None:
        while self._idle:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(True)
        self._pending = True
        if self._any is not None:
            self._any.set()
            self._any = None

    async def wait_idle(self, timeout: float) -> bool:
        if self._pending:
            self._pending = False
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return False
        finally:
            if not waiter.done():
                waiter.cancel()

    async def wait_any(self, timeout: float) -> bool:
        if self._any is None:
            self._any = asyncio.Event()
        try:
            await asyncio.wait_for(self._any.wait(), timeout)
        except TimeoutError:
            return False
        return True


class BatchAssembler:
    def __init__(
        self,
        store: JobStore,
        plans: SendPlans,
        signal: WorkSignal,
        flush_interval: float,
        clock: Callable[[], datetime] = utc_now,
        destination: str = DEFAULT_DESTINATION,
    ) -> None:
        self._destination = destination  # claims take only this destination's jobs
        self._store = store
        self._plans = plans
        self._signal = signal
        self._flush = flush_interval
        self._clock = clock

    async def next_batch(self, owner: str, stopping: Callable[[], bool]) -> Batch | None:
        """Claim a batch for `owner`, or None when nothing is available now."""
        started = time.monotonic()
        first = await self._store.claim_batch(
            owner, self._plans.peek_lease, self._plans.peek_size, destination=self._destination
        )
        if not first:
            return None
        key = first[0].batch_key
        plan = self._plans.get(first[0].subscription)
        lease = min(plan.lease, self._plans.peek_lease) if plan else self._plans.peek_lease
        batch = Batch(key, first, plan, started + lease - min(LEASE_MARGIN, lease / 4))
        if plan is None or len(first) >= plan.claim_size:
            return batch  # unknown subscription (the worker deals with it) or full
        if not plan.waits_for_more and len(first) < self._plans.peek_size:
            return batch  # per-event action and nothing more for this key
        await self._fill(owner, batch, plan, stopping)
        return batch

    async def _fill(self, owner: str, batch: Batch, plan: SendPlan, stopping: Callable[[], bool]) -> None:
        flush_at = self._flush_at(batch.jobs) if plan.waits_for_more else 0.0
        exhausted = len(batch.jobs) < self._plans.peek_size  # the first claim took all there was
        while (want := plan.claim_size - len(batch.jobs)) > 0 and not stopping():
            if not exhausted:
                more = await self._store.claim_batch(owner, plan.lease, want, batch.key, self._destination)
                batch.jobs.extend(more)
                exhausted = len(more) < want
                continue
            remaining = flush_at - self._clock().timestamp()
            if remaining <= 0:
                return
            if await self._signal.wait_any(remaining):
                exhausted = False  # something was enqueued: maybe for this key
                await asyncio.sleep(MIN_TOP_UP_GAP)

    def _flush_at(self, jobs: Sequence[Job]) -> float:
        """When the batch must go: its oldest first-attempt job's acceptance + flush interval; now for retries.

        Never later than a flush interval from now: `created_at` comes from the enqueuing machine's clock."""
        if any(job.attempts > 1 for job in jobs):
            return 0.0
        now = self._clock().timestamp()
        return min(min(job.created_at.timestamp() for job in jobs), now) + self._flush
