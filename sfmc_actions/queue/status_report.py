"""The status document: what `sfmc-actions status --json` prints and what the console's overview shows (both call
`build_status`). Counts over the window come from the delivery history, so they stay right after a purge; the
live queue (pending and claimed jobs, the oldest waiting) and the last errors come from the jobs themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.queue.history import percentile, source_report, subscription_report
from sfmc_actions.queue.jobs import JobState, QueueStats
from sfmc_actions.queue.store import JobStore

STATES = ("pending", "claimed", "delivered", "dead", "rejected")  # JobState's values, in the queue table's order
REJECTED_ROW = "(rejected at ingest)"
LIVE = (JobState.PENDING, JobState.CLAIMED)


async def build_status(
    store: JobStore,
    database: str,
    since: timedelta,
    retention: dict[str, float] | None = None,
    now: datetime | None = None,
    last_errors: int = 10,
    stats: QueueStats | None = None,
    destination: str | None = None,
) -> dict[str, Any]:
    """The status over the last `since` (history) plus the live queue. `retention`: seconds per kind (config).
    `stats`: the queue as already read (the console passes `store.waiting()`, which reads only waiting jobs
    through their index, instead of `store.stats()`, which groups every stored job). `destination`: only that
    destination's subscriptions, queue and errors (sources reach every destination)."""
    now = now or datetime.now(UTC)
    start = now - since
    stats = stats if stats is not None else await store.stats(last_errors=last_errors)
    totals = await store.history.totals(start, now)
    if destination is not None:
        totals = [t for t in totals if t.destination == destination]
        stats = QueueStats(
            tuple(c for c in stats.counts if c.destination == destination),
            tuple(e for e in stats.last_errors if e.destination == destination),
        )
    sources = await store.history.source_totals(start, now)
    facts = await store.history.store_facts()
    waiting: dict[tuple[str, str], int] = {}
    for count in stats.counts:
        if count.state in LIVE and count.subscription is not None:
            key = (count.destination or DEFAULT_DESTINATION, count.subscription)
            waiting[key] = waiting.get(key, 0) + count.count
    rows = subscription_report(totals, waiting)
    oldest = stats.oldest_pending_at
    buckets: dict[float, int] = {}  # every subscription's latency together, for the window's own percentiles
    for t in totals:
        for bound, n in t.latency_buckets.items():
            buckets[bound] = buckets.get(bound, 0) + n
    return {
        "database": database,
        "since": start.isoformat(),
        "until": now.isoformat(),
        "latency_ms": {name: _ms(percentile(buckets, q)) for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
        "subscriptions": rows,
        "sources": source_report(sources),
        "totals": {
            "pending": stats.total(JobState.PENDING),
            "claimed": stats.total(JobState.CLAIMED),
            "delivered": sum(t.delivered for t in totals),
            "dead": sum(t.dead + t.invalid for t in totals),  # every dead letter made in the window
            "rejected": sum(s.rejected for s in sources),
            "invalid": sum(t.invalid for t in totals),
            "retried": sum(t.retried for t in totals),
            "throttled": sum(t.throttled for t in totals),
            "in_doubt": sum(t.in_doubt for t in totals),
            "unmatched": sum(s.unmatched for s in sources),
        },
        "queue": queue_rows(stats, now),
        "oldest_waiting_seconds": None if oldest is None else (now - oldest).total_seconds(),
        "oldest_job_at": None if facts.oldest_job_at is None else facts.oldest_job_at.isoformat(),
        "store_bytes": facts.store_bytes,
        "retention": retention or {},
        "last_errors": [
            {
                "job_id": e.job_id,
                "destination": e.destination,
                "subscription": e.subscription,
                "state": e.state.value,
                "at": e.at.isoformat(),
                "error": e.error,
            }
            for e in stats.last_errors
        ],
    }


def queue_rows(stats: QueueStats, now: datetime) -> list[dict[str, Any]]:
    """Jobs stored now, per destination, subscription and state (what retention has not purged yet), and the
    oldest waiting. Rejected events reach no destination: one row without one."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for count in stats.counts:
        name = count.subscription if count.subscription is not None else REJECTED_ROW
        where = count.destination if count.subscription is not None else None
        row = rows.setdefault(
            (where or "", name),
            {"destination": where, "subscription": name, **dict.fromkeys(STATES, 0), "oldest_waiting_seconds": None},
        )
        row[count.state.value] += count.count
        if count.state in LIVE:
            waited = (now - count.oldest_created_at).total_seconds()
            row["oldest_waiting_seconds"] = max(row["oldest_waiting_seconds"] or 0.0, waited)
    ordered = sorted(rows.items(), key=lambda item: (item[1]["subscription"] == REJECTED_ROW, item[0]))
    return [row for _, row in ordered]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
