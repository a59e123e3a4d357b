"""The delivery worker: many tasks per process claim batches, send them through the SFMC actions and record
one outcome per job. Any number of processes (on any number of machines, with PostgreSQL) share the work.

    worker = Worker(store, client, plans, WorkerSetup(tenant, policy=..., options=...))
    task = asyncio.create_task(worker.run())
    ...
    worker.stop(); await task      # graceful: sends in flight finish (up to shutdown_grace), the rest is released

Each task: take a batch slot from the tenant limiter (so nothing is claimed while the tenant is paused or its
window is full), assemble a batch (batching.py), send it, map each outcome (outcomes.py) and apply them in one
store transaction. Jobs whose subscription is not in this worker's config (removed, renamed or disabled, or
added by a newer config during a rolling deploy) are not sent: they go back for `unroutable_delay` with that
reason, so a worker with the newer config can take them, and they reach dead letters (replayable) only if the
retry limits pass with no worker able to deliver them.

Jobs of an `on_audience_exit: delete` subscription keep their row's order: a job is not sent while an earlier job
of the same row is still waiting (store.row_order; it is given back until then), and an audience exit deletes
its row (audience_exit.send_with_exits).

One worker, four files (as rudder-server's router splits its handle): this one sends a claimed batch and
records its outcomes; worker_journeys.py sends journey entries and settles their doubt; worker_lifecycle.py runs
the tasks (run, stop, the wake-up watcher, the loop); worker_observe.py turns outcomes into metrics and log lines.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson

from sfmc_actions.config import Delivery
from sfmc_actions.deliver.batching import DEFAULT_LEASE, Batch, BatchAssembler, SendPlan, SendPlans, WorkSignal
from sfmc_actions.deliver.outcomes import (
    WORKER_STOPPED,
    Decision,
    InDoubtPolicy,
    Kind,
    decide,
    held_in_doubt,
    retry_later,
)
from sfmc_actions.deliver.tenants import TenantLimiter
from sfmc_actions.deliver.worker_journeys import JourneyDelivery
from sfmc_actions.deliver.worker_lifecycle import WorkerLifecycle
from sfmc_actions.deliver.worker_observe import WorkerObservation
from sfmc_actions.observe.metrics import METRICS, Metrics
from sfmc_actions.queue.history import destination_of
from sfmc_actions.queue.jobs import DoubtRetry, Job, JobRetry
from sfmc_actions.queue.retry import RetryPolicy
from sfmc_actions.queue.rows import utc_now
from sfmc_actions.queue.store import JobStore
from sfmc_actions.sfmc.actions.api_event import JourneyEntry
from sfmc_actions.sfmc.actions.api_event_batch import BatchedApiEvent
from sfmc_actions.sfmc.actions.audience_exit import exits_for, send_with_exits
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.journey_doubt import DEFAULT_SETTLE
from sfmc_actions.sfmc.outcomes import Outcome, Retry

log = logging.getLogger(__name__)
ROW_BUSY = 1.0  # seconds: a job whose row's earlier job is being sent elsewhere looks again this much later
ROW_MIN_WAIT = 0.05


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 8  # batches in flight per process (each also bounded by the tenant's window)
    flush_interval: float = 1.0
    lease_seconds: float = DEFAULT_LEASE
    idle_poll: float = 1.0  # longest wait between looks for due retries when nothing wakes the worker
    shutdown_grace: float = 20.0  # sends in flight get this long to finish on SIGTERM; then they are released
    auth_pause: float = 30.0
    unroutable_delay: float = 60.0
    in_doubt: Literal["hold", "resend"] = "hold"  # journey entries SFMC may have processed (outcomes.py)
    in_doubt_settle: float = DEFAULT_SETTLE  # seconds after a send before SFMC's status endpoint is asked about it
    errored_check_interval: float = 300.0  # how often delivered batched entries are checked for `errored`
    errored_lookback: float = 3600.0  # how far back they are checked (SFMC processes them asynchronously)

    @classmethod
    def from_delivery(cls, delivery: Delivery, **overrides: Any) -> WorkerOptions:
        values: dict[str, Any] = {
            "concurrency": delivery.tenant_concurrency,
            "flush_interval": delivery.flush_interval,
            "lease_seconds": delivery.lease_seconds,
            "in_doubt": delivery.in_doubt,
            "in_doubt_settle": delivery.in_doubt_settle,
        }
        return cls(**(values | overrides))


def policy_for(delivery: Delivery) -> RetryPolicy:
    return RetryPolicy(max_attempts=delivery.max_attempts, max_age=delivery.max_age)


def process_name() -> str:
    """Names this process's claims in the store (lease owner): host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker works with besides the store, the SFMC client and the send plans."""

    tenant: str  # the SFMC tenant it delivers to (jobs of another tenant are not sent)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    options: WorkerOptions = field(default_factory=WorkerOptions)
    limiter: TenantLimiter | None = None  # None: a window of options.concurrency for the tenant alone
    metrics: Metrics = METRICS
    name: str | None = None  # names its claims in the store; None: process_name()
    clock: Callable[[], datetime] = utc_now


class Worker(JourneyDelivery, WorkerLifecycle, WorkerObservation):
    def __init__(self, store: JobStore, client: SfmcClient, plans: SendPlans, setup: WorkerSetup) -> None:
        self.store, self.client, self.plans, self.tenant = store, client, plans, setup.tenant
        self.policy = setup.policy
        self.options = setup.options
        self.limiter = setup.limiter or TenantLimiter(setup.tenant, self.options.concurrency)
        self.metrics = setup.metrics
        self.name = setup.name or process_name()
        self.counts: Counter[str] = Counter()  # jobs by Kind, for logs and tests
        self._clock = setup.clock
        self._signal = WorkSignal()
        self._assembler = BatchAssembler(store, plans, self._signal, self.options.flush_interval, setup.clock)
        self._stopping = asyncio.Event()
        self._holding: set[str] = set()  # owners (tasks) between claim and outcome
        self._sending: set[str] = set()
        self._last_notice: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        return f"Worker({self.name!r}, tenant={self.tenant!r}, {len(self.plans)} subscription(s))"

    # -- one batch -------------------------------------------------------------------------------------------
    async def deliver(self, owner: str, batch: Batch) -> list[Decision]:
        """Send a claimed batch and record every job's outcome; returns the decisions."""
        now = self._clock()
        decisions: list[Decision] = []
        groups: dict[bytes, tuple[SendPlan, list[Job]]] = {}
        for job in batch.jobs:
            plan = self.plans.get(job.subscription)
            problem = self._unroutable(job, plan)
            if plan is None or problem is not None:
                delay = self.options.unroutable_delay
                decisions.append(retry_later(job, problem or "", self.policy, now, retry_after=delay))
                continue
            # Jobs of one key share the action and target; subscriptions differ at most in hook outputs and in how
            # they send (journey_batching) or treat audience exits (on_audience_exit).
            how = [type(plan.action).__name__, plan.subscription.on_audience_exit]
            group = orjson.dumps([plan.action.key, plan.subscription.hook_outputs, how], option=orjson.OPT_SORT_KEYS)
            groups.setdefault(group, (plan, []))[1].append(job)
        recorded: list[Decision] = []
        for plan, jobs in groups.values():
            if not plan.action.idempotent:
                recorded += await self._deliver_once(owner, batch, plan, jobs)
                continue
            if plan.subscription.on_audience_exit == "delete":
                jobs = await self._in_row_order(owner, jobs)
                if not jobs:
                    continue
            results = await self._send(plan, jobs, batch.budget)
            finished = self._clock()
            decisions += [decide(job, result, self.policy, finished) for job, result in zip(jobs, results, strict=True)]
        await self._apply(owner, batch, decisions)
        decisions += recorded
        self._observe(batch, decisions)
        return decisions

    async def _deliver_once(self, owner: str, batch: Batch, plan: SendPlan, jobs: list[Job]) -> list[Decision]:
        """Jobs of an action that must not be repeated (journey entries), one request each. A job is marked as
        sending (committed) only once its request can go out (it holds the tenant's request slot), and its
        outcome is recorded as soon as SFMC answers: a worker killed mid-batch leaves in doubt only the
        requests then on the wire. Journey entries in doubt are first settled from SFMC's status endpoint, and
        batched ones go as one request (worker_journeys.py)."""
        hold = self.options.in_doubt == "hold"
        action = plan.action
        decisions: list[Decision] = []
        journey = isinstance(action, JourneyEntry)  # SFMC's status endpoint may tell what became of them
        if journey:
            jobs, decisions = await self._settle_doubt(owner, batch, plan, jobs)
            if isinstance(action, BatchedApiEvent):  # all of them in one request (one commit marks them)
                return decisions + await self._send_entry_batch(owner, batch, plan, jobs)
        elif hold:  # the previous holder stopped mid-send: SFMC may have processed them; never resent blindly
            decisions = [
                held_in_doubt(job, action.describe(job.payload), WORKER_STOPPED) for job in jobs if job.in_doubt
            ]
            await self._apply(owner, batch, decisions)
            jobs = [job for job in jobs if not job.in_doubt]
        gate = asyncio.Semaphore(max(getattr(action, "concurrency", 1), 1))
        unsent: list[int] = []

        async def one(job: Job) -> Decision | None:
            async with gate:
                if self._stopping.is_set() or batch.budget <= 0:
                    unsent.append(job.id)  # not sent: given back below, unattempted
                    return None
                async with self.limiter.request(shared=True):  # the slot its request will use
                    if not await self.store.mark_sending(owner, [job.id]):
                        return None  # the lease ran out (a stalled process): another worker may have it
                    [result] = await self._send(plan, [job], batch.budget)
            if journey:
                decision = self.entry_decision(job, result, self._clock())
            else:
                subject = action.describe(job.payload)
                decision = decide(job, result, self.policy, self._clock(), in_doubt=InDoubtPolicy(hold, subject))
            await self._apply(owner, batch, [decision])
            return decision

        done = await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)
        if unsent:
            await self.store.release(owner, unsent)
        for item in done:
            if isinstance(item, BaseException):
                raise item  # a store failure: the loop logs it; unrecorded marks leave those jobs in doubt
        sent = [item for item in done if isinstance(item, Decision)]
        if len(sent) + len(unsent) < len(jobs):
            log.warning(
                "lost the lease of %d job(s) before sending them; another worker has them",
                len(jobs) - len(sent) - len(unsent),
                extra={"batch_key": batch.key},
            )
        return decisions + sent

    def _unroutable(self, job: Job, plan: SendPlan | None) -> str | None:
        if plan is None:
            self._notice(
                f"unroutable:{job.subscription}",
                logging.WARNING,
                "jobs of subscription %r wait: it is not an enabled subscription in this worker's config",
                job.subscription,
            )
            return (
                f"subscription {job.subscription!r} is not an enabled subscription in this worker's config "
                "(removed, renamed or disabled?): restore it, or replay the dead letter once it is dead"
            )
        if job.tenant != self.tenant:
            return f"the job is for SFMC tenant {job.tenant!r}, this worker delivers to {self.tenant!r}"
        return None

    async def _send(self, plan: SendPlan, jobs: Sequence[Job], budget: float) -> list[Outcome]:
        payloads = [job.payload for job in jobs]
        # When the send fails as a whole, the requests may have gone out: in doubt unless resending is harmless.
        sent = not plan.action.idempotent
        hooks = plan.subscription.hook_outputs
        try:
            async with asyncio.timeout(max(budget, 0.001)) as deadline:
                if plan.subscription.on_audience_exit == "delete":  # an Engage audience exit deletes its row
                    exits = exits_for([job.event for job in jobs], "delete")
                    results = await send_with_exits(plan.action, self.client, payloads, hooks, exits)
                else:
                    results = await plan.action.send(self.client, payloads, hooks)
        except TimeoutError:
            if not deadline.expired():
                raise
            # Cut off before the lease ends, so no other worker can claim and send these jobs meanwhile.
            message = f"the send took longer than {budget:.0f} s and was cut off before the jobs' lease ran out"
            return [Retry(message, in_doubt=sent)] * len(jobs)
        except Exception as exc:  # an action must not raise; if one does, the jobs retry instead of vanishing
            log.exception("action %s raised while sending %d job(s)", plan.action.key, len(jobs))
            error = f"internal error while sending: {type(exc).__name__}: {exc}"
            return [Retry(error, in_doubt=sent)] * len(jobs)
        if len(results) != len(jobs):
            log.error("action %s returned %d outcomes for %d jobs", plan.action.key, len(results), len(jobs))
            error = "internal error: the action's outcomes do not match its inputs"
            return [Retry(error, in_doubt=sent)] * len(jobs)
        return results

    async def _in_row_order(self, owner: str, jobs: list[Job]) -> list[Job]:
        """The jobs that may be sent now: a job whose row has an earlier job still waiting elsewhere (pending, or
        being sent by another batch) is given back until that one is done, so that an audience exit never
        overtakes an enter accepted before it (nor an enter an exit). This batch's own jobs go in order."""
        now = self._clock()
        busy = now + timedelta(seconds=ROW_BUSY)
        waiting = await self.store.row_order.waiting_before(owner, [job.id for job in jobs], busy)
        if not waiting:
            return jobs
        soonest = now + timedelta(seconds=ROW_MIN_WAIT)
        await self.store.row_order.postpone(owner, {job_id: max(at, soonest) for job_id, at in waiting.items()})
        log.debug("%d job(s) wait for an earlier change of their row", len(waiting))
        return [job for job in jobs if job.id not in waiting]

    async def _apply(self, owner: str, batch: Batch, decisions: Sequence[Decision]) -> None:
        """Record outcomes (one transaction) and give throttled jobs back: SFMC did not process them. Journey
        entries whose answer was lost go back in doubt with their send's window (worker_journeys.py)."""
        doubt = [
            DoubtRetry(d.job_id, d.outcome.at, d.outcome.error, d.sent_until)
            for d in decisions
            if d.sent_until is not None and isinstance(d.outcome, JobRetry)
        ]
        outcomes = [(d.job_id, d.outcome) for d in decisions if d.outcome is not None and d.sent_until is None]
        throttled = [d.job_id for d in decisions if d.kind is Kind.THROTTLED]
        applied = await self.store.apply_outcomes(owner, outcomes) if outcomes else None
        lost = list(applied.lost) if applied is not None else []
        if doubt:
            lost += (await self.store.entries.retry_in_doubt(owner, doubt)).lost
        if throttled:
            await self.store.release(owner, throttled)
            given_back = set(throttled)
            by_subscription = Counter(job.subscription or "" for job in batch.jobs if job.id in given_back)
            for subscription, n in by_subscription.items():  # history: buffered, flushed by the housekeeping
                self.store.history.count(destination_of(None), subscription, "throttled", n)
        if lost:
            log.warning(
                "lost the lease of %d job(s) before recording their outcome; another worker has them",
                len(lost),
                extra={"batch_key": batch.key},
            )
