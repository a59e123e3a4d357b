"""The delivery worker: many tasks per process claim batches, send them through the SFMC actions and record
one outcome per job. Any number of processes (on any number of machines, with PostgreSQL) share the work.

    worker = Worker(store, client, plans, tenant=..., policy=..., options=...)
    task = asyncio.create_task(worker.run())
    ...
    worker.stop(); await task      # graceful: sends in flight finish (up to shutdown_grace), the rest is released

Each task: take a batch slot from the tenant limiter (so nothing is claimed while the tenant is paused or its
window is full), assemble a batch (batching.py), send it, map each outcome (outcomes.py) and apply them in one
store transaction. Jobs whose subscription is not in this worker's config (removed, renamed or disabled, or
added by a newer config during a rolling deploy) are not sent: they go back for `unroutable_delay` with that
reason, so a worker with the newer config can take them, and they reach dead letters (replayable) only if the
retry limits pass with no worker able to deliver them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
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
from sfmc_actions.observe.metrics import METRICS, Metrics
from sfmc_actions.queue.jobs import Job
from sfmc_actions.queue.retry import RetryPolicy
from sfmc_actions.queue.rows import utc_now
from sfmc_actions.queue.store import JobStore
from sfmc_actions.sfmc.client import SfmcClient
from sfmc_actions.sfmc.outcomes import Outcome, Retry

log = logging.getLogger(__name__)
NOTICE_EVERY = 30.0  # seconds between repeats of the same warning (throttling, refused credentials)


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

    @classmethod
    def from_delivery(cls, delivery: Delivery, **overrides: Any) -> WorkerOptions:
        values: dict[str, Any] = {
            "concurrency": delivery.tenant_concurrency,
            "flush_interval": delivery.flush_interval,
            "lease_seconds": delivery.lease_seconds,
            "in_doubt": delivery.in_doubt,
        }
        return cls(**(values | overrides))


def policy_for(delivery: Delivery) -> RetryPolicy:
    return RetryPolicy(max_attempts=delivery.max_attempts, max_age=delivery.max_age)


def process_name() -> str:
    """Names this process's claims in the store (lease owner): host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        store: JobStore,
        client: SfmcClient,
        plans: SendPlans,
        *,
        tenant: str,
        policy: RetryPolicy | None = None,
        options: WorkerOptions | None = None,
        limiter: TenantLimiter | None = None,
        metrics: Metrics = METRICS,
        name: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store, self.client, self.plans, self.tenant = store, client, plans, tenant
        self.policy = policy or RetryPolicy()
        self.options = options or WorkerOptions()
        self.limiter = limiter or TenantLimiter(tenant, self.options.concurrency)
        self.metrics = metrics
        self.name = name or process_name()
        self.counts: Counter[str] = Counter()  # jobs by Kind, for logs and tests
        self._clock = clock
        self._signal = WorkSignal()
        self._assembler = BatchAssembler(store, plans, self._signal, self.options.flush_interval, clock)
        self._stopping = asyncio.Event()
        self._holding: set[str] = set()  # owners (tasks) between claim and outcome
        self._sending: set[str] = set()
        self._last_notice: dict[str, float] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        return f"Worker({self.name!r}, tenant={self.tenant!r}, {len(self.plans)} subscription(s))"

    def stop(self) -> None:
        """Begin a graceful stop: no new claims; batches not yet sending are released; sends finish.

        A second call stops at once: sends in flight are cancelled and their claims released."""
        if self._stopping.is_set():
            for task in self._tasks:
                task.cancel()
        self._stopping.set()
        self._signal.notify_all()

    async def run(self) -> None:
        owners = [f"{self.name}/{n}" for n in range(self.options.concurrency)]
        watcher = asyncio.create_task(self._watch(), name="sfmc-actions-wake")
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
            for task in (*tasks.values(), watcher):
                task.cancel()
            await asyncio.gather(*tasks.values(), watcher, return_exceptions=True)
            released = 0
            for owner in owners:
                released += await self.store.release(owner)
            log.info("worker stopped", extra={"worker": self.name, "released": released, **self.counts})

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
            except Exception:  # the store or a bug: log it, back off, keep the task alive
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
            # Jobs of one key share the action and target; subscriptions differ at most in hook outputs.
            group = orjson.dumps([plan.action.key, plan.subscription.hook_outputs], option=orjson.OPT_SORT_KEYS)
            groups.setdefault(group, (plan, []))[1].append(job)
        recorded: list[Decision] = []
        for plan, jobs in groups.values():
            if not plan.action.idempotent:
                recorded += await self._deliver_once(owner, batch, plan, jobs)
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
        requests then on the wire."""
        hold = self.options.in_doubt == "hold"
        action = plan.action
        decisions: list[Decision] = []
        if hold:  # the previous holder stopped mid-send: SFMC may have processed them; never resent blindly
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
        try:
            async with asyncio.timeout(max(budget, 0.001)) as deadline:
                results = await plan.action.send(self.client, payloads, plan.subscription.hook_outputs)
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

    async def _apply(self, owner: str, batch: Batch, decisions: Sequence[Decision]) -> None:
        """Record outcomes (one transaction) and give throttled jobs back: SFMC did not process them."""
        outcomes = [(d.job_id, d.outcome) for d in decisions if d.outcome is not None]
        throttled = [d.job_id for d in decisions if d.kind is Kind.THROTTLED]
        applied = await self.store.apply_outcomes(owner, outcomes) if outcomes else None
        if throttled:
            await self.store.release(owner, throttled)
        if applied is not None and applied.lost:
            log.warning(
                "lost the lease of %d job(s) before recording their outcome; another worker has them",
                len(applied.lost),
                extra={"batch_key": batch.key},
            )

    def _observe(self, batch: Batch, decisions: Sequence[Decision]) -> None:
        jobs = {job.id: job for job in batch.jobs}
        counters = {
            Kind.DELIVERED: self.metrics.jobs_delivered,
            Kind.RETRY: self.metrics.jobs_retried,
            Kind.DEAD: self.metrics.jobs_dead,
            Kind.THROTTLED: self.metrics.jobs_throttled,
        }
        kinds: Counter[str] = Counter()
        for d in decisions:
            job = jobs[d.job_id]
            counters[d.kind].labels(job.subscription or "", job.action).inc()
            kinds[d.kind.value] += 1
            if d.in_doubt:
                self.metrics.jobs_in_doubt.labels(job.subscription or "", job.action).inc()
                kinds["in_doubt"] += 1
        self.counts.update(kinds)
        self.metrics.batch_jobs.labels(batch.jobs[0].action).observe(len(batch.jobs))
        extra = {"batch_key": batch.key, **kinds}
        if any(d.auth_failed for d in decisions):
            self.limiter.pause(self.options.auth_pause)
            error = next(_error(d) for d in decisions if d.auth_failed)
            self._notice(
                "auth",
                logging.ERROR,
                "SFMC refused the credentials of tenant %s; delivery pauses "
                "%.0f s at a time until the settings are fixed (logged once): %s",
                self.tenant,
                self.options.auth_pause,
                error,
                every=math.inf,
            )
        elif kinds[Kind.DELIVERED]:
            self._last_notice.pop("auth", None)  # a later refusal is news again
        if kinds[Kind.THROTTLED]:
            self._notice(
                "throttled",
                logging.WARNING,
                "SFMC is rate-limiting tenant %s: window %d, paused %.1f s; "
                "throttled jobs go back without using an attempt",
                self.tenant,
                self.limiter.limit,
                self.limiter.paused_for(),
            )
        if kinds["in_doubt"] and self.options.in_doubt == "resend":
            log.warning(
                "%d job(s) in doubt (SFMC may have processed them) are resent (delivery.in_doubt: "
                "resend): a contact may enter a journey twice",
                kinds["in_doubt"],
                extra=extra,
            )
        if kinds[Kind.DEAD]:
            reason = next(_error(d) for d in decisions if d.kind is Kind.DEAD)
            log.warning("%d job(s) dead; first reason: %s", kinds[Kind.DEAD], reason, extra=extra)
        elif kinds[Kind.RETRY]:
            reason = next(_error(d) for d in decisions if d.kind is Kind.RETRY)
            log.info("%d job(s) will be retried; first error: %s", kinds[Kind.RETRY], reason, extra=extra)
        else:
            log.debug("batch sent", extra=extra)

    def _notice(self, topic: str, level: int, message: str, *args: object, every: float = NOTICE_EVERY) -> None:
        """Log `message` at most once per `every` seconds per topic: one clear line, not one per job."""
        now = time.monotonic()
        last = self._last_notice.get(topic)
        if last is None or now - last >= every:
            self._last_notice[topic] = now
            log.log(level, message, *args)


def _error(decision: Decision) -> str:
    outcome = decision.outcome
    return str(getattr(outcome, "reason", None) or getattr(outcome, "error", ""))
