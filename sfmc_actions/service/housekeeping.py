"""The store's housekeeping, run by serve and every worker: history counts flushed and errors grouped every
FLUSH_SECONDS, a purge round every `retention.purge_every` (queue/purge.py). Every process runs it; the store
makes sure that one purges at a time, so a fleet of workers needs no leader and survives any one of them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sfmc_actions.config import Delivery, Retention
from sfmc_actions.observe.metrics import METRICS, Metrics
from sfmc_actions.queue import JobStore
from sfmc_actions.queue.history import FLUSH_SECONDS
from sfmc_actions.queue.purge import PurgeCutoffs, PurgeReport
from sfmc_actions.queue.rows import utc_now

log = logging.getLogger(__name__)
# Delivered journey entries are read back by doubt settling (deliver/worker_journeys.py: instance_ids over a job's
# retries, up to max_age; recent_keys over errored_lookback, an hour): never purged before both are done.
ERRORED_LOOKBACK = 3600.0


def entries_kept(delivery: Delivery) -> float:
    return max(delivery.max_age, ERRORED_LOOKBACK) + delivery.lease_seconds


class Housekeeping:
    def __init__(self, store: JobStore, retention: Retention, delivery: Delivery, metrics: Metrics = METRICS) -> None:
        self.store = store
        self.retention = retention
        self.delivery = delivery
        self.metrics = metrics
        self.rounds = 0

    async def run(self) -> None:
        """Until cancelled; a failing step is logged and tried again at its next turn (the store may be busy)."""
        loop = asyncio.get_running_loop()
        next_purge = loop.time() + min(self.retention.purge_every, FLUSH_SECONDS)
        try:
            while True:
                await asyncio.sleep(min(FLUSH_SECONDS, max(0.0, next_purge - loop.time())))
                await self._step(self.keep_history, "history")
                if loop.time() >= next_purge:
                    await self._step(self.purge_round, "purge")
                    next_purge = loop.time() + self.retention.purge_every
        finally:
            await self._step(self.store.history.flush, "history")  # at stop: nothing buffered is lost

    async def _step(self, step: Callable[[], Awaitable[object]], what: str) -> None:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # logged, retried next turn: housekeeping never stops the service
            log.warning("store housekeeping (%s) failed, trying again later: %s: %s", what, type(exc).__name__, exc)

    async def keep_history(self) -> None:
        await self.store.history.flush()
        await self.store.history.fold_errors()

    async def purge_round(self, now: datetime | None = None) -> PurgeReport | None:
        r = self.retention
        cutoffs = PurgeCutoffs.from_retention(
            now or utc_now(), r.delivered, r.dead, r.rejected, r.history, entries_kept(self.delivery)
        )
        await self.store.history.fold_errors()  # group dead letters before any of them can expire
        self.metrics.purge_running.set(1)
        try:
            report = await self.store.purge(cutoffs)
        finally:
            self.metrics.purge_running.set(0)
        if report is None:
            return None  # another process is purging
        self.rounds += 1
        self.record(report)
        facts = await self.store.history.store_facts()
        self.metrics.store_bytes.set(facts.store_bytes)
        return report

    def record(self, report: PurgeReport) -> None:
        m = self.metrics
        m.purge_seconds.observe(report.seconds)
        for kind in ("delivered", "dead", "rejected", "dedupe_keys", "history_rows"):
            if count := getattr(report, kind):
                m.purged.labels(kind).inc(count)
        for (subscription, reason), count in sorted(report.expired.items()):
            m.dead_letters_expired.labels(subscription).inc(count)
            log.info(
                "%d dead letter(s) of %s expired (retention.dead) and were purged: %s",
                count,
                subscription,
                reason,
                extra={"subscription": subscription, "reason": reason, "count": count},
            )
        if report.removed:
            log.debug(
                "purged %d delivered, %d dead, %d rejected in %.2f s (longest chunk %.0f ms)",
                report.delivered,
                report.dead,
                report.rejected,
                report.seconds,
                report.longest_chunk * 1000,
            )
