"""What a worker says about its batches: metrics per outcome, and log lines that speak once per problem
(throttling, refused credentials, jobs in doubt) instead of once per job."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sfmc_actions.deliver.outcomes import Decision, Kind

if TYPE_CHECKING:
    from sfmc_actions.deliver.batching import Batch
    from sfmc_actions.deliver.tenants import TenantLimiter
    from sfmc_actions.deliver.worker import WorkerOptions
    from sfmc_actions.observe.metrics import Metrics

log = logging.getLogger("sfmc_actions.deliver.worker")
NOTICE_EVERY = 30.0  # seconds between repeats of the same warning (throttling, refused credentials)


class WorkerObservation:
    """Metrics and log rules, for `Worker` (worker.py), which holds the state used here."""

    tenant: str
    destination: str
    options: WorkerOptions
    limiter: TenantLimiter
    metrics: Metrics
    counts: Counter[str]
    _last_notice: dict[str, float]

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
            counters[d.kind].labels(job.destination or "", job.subscription or "", job.action).inc()
            kinds[d.kind.value] += 1
            if d.in_doubt:
                self.metrics.jobs_in_doubt.labels(job.destination or "", job.subscription or "", job.action).inc()
                kinds["in_doubt"] += 1
        self.counts.update(kinds)
        self.metrics.batch_jobs.labels(batch.jobs[0].action).observe(len(batch.jobs))
        extra = {"destination": self.destination, "batch_key": batch.key, **kinds}
        if any(d.auth_failed for d in decisions):
            self.limiter.pause(self.options.auth_pause)
            error = next(_error(d) for d in decisions if d.auth_failed)
            self._notice(
                "auth",
                logging.ERROR,
                "SFMC refused the credentials of tenant %s (destination %s); delivery pauses "
                "%.0f s at a time until the settings are fixed (logged once): %s",
                self.tenant,
                self.destination,
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
                "SFMC is rate-limiting tenant %s (destination %s): window %d, paused %.1f s; "
                "throttled jobs go back without using an attempt",
                self.tenant,
                self.destination,
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
