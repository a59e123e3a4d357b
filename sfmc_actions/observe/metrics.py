"""Prometheus metrics of the service, exposed at `GET /metrics` on the metrics port (prometheus-client;
metrics_app.py serves them).

One `Metrics` object per registry; the process-wide `METRICS` uses prometheus-client's default registry, which
is what `/metrics` serves. Tests pass `Metrics(CollectorRegistry())` to count in isolation.

    sfmc_actions_events_accepted_total{source}            events that passed the Segment Spec checks
    sfmc_actions_events_rejected_total{source}            events kept as rejected (Spec failures)
    sfmc_actions_events_unmatched_total{source}           accepted events no subscription matched
    sfmc_actions_events_rejected_unstored_total{source}   rejected events counted but not stored (over the
                                                          per-request bound of stored rejected events)
    sfmc_actions_ingest_throttled_total{source}           requests answered 429 by the source's rate limit
    sfmc_actions_ingest_store_busy_total                  requests answered 503: the store did not commit in time
    sfmc_actions_http_connections_refused_total           connections answered 503 at once: the connection cap
    sfmc_actions_http_connections_timed_out_total         connections closed: no complete request in time
    sfmc_actions_jobs_delivered_total{subscription,action}
    sfmc_actions_jobs_retried_total{subscription,action}  failed attempts scheduled again
    sfmc_actions_jobs_throttled_total{subscription,action} given back after a 429, attempt not counted
    sfmc_actions_jobs_dead_total{subscription,action}
    sfmc_actions_jobs_in_doubt_total{subscription,action} journey entries SFMC may have processed unseen: held as
                                                          dead letters (delivery.in_doubt: hold) or resent
    sfmc_actions_jobs_doubt_settled_total{subscription,action,settled}  journey entries in doubt settled from SFMC's
                                                          status endpoint: delivered, dead, resent, held
    sfmc_actions_journey_entries_errored_total{subscription} delivered batched entries SFMC later reported errored
    sfmc_actions_batch_jobs{action}                       jobs per delivered batch (histogram)
    sfmc_actions_sfmc_requests_total{route,status}        every SFMC call; status "timeout"/"error" without one
    sfmc_actions_sfmc_request_seconds{route}              SFMC latency (histogram)
    sfmc_actions_sfmc_token_requests_total                OAuth token requests
    sfmc_actions_tenant_concurrency{tenant}               the adaptive concurrency window (AIMD)
    sfmc_actions_queue_jobs{subscription,state}           queue depth, refreshed every few seconds
    sfmc_actions_queue_oldest_pending_seconds             age of the oldest job not yet delivered or dead
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

_P = "sfmc_actions"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 500, 1000, 5000, 30000)
PURGE_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = REGISTRY) -> None:
        self.registry = registry
        r = registry
        job = ("subscription", "action")
        self.events_accepted = Counter(
            f"{_P}_events_accepted", "Events that passed the Segment Spec checks", ["source"], registry=r
        )
        self.events_rejected = Counter(
            f"{_P}_events_rejected", "Events kept as rejected (Spec failures)", ["source"], registry=r
        )
        self.events_unmatched = Counter(
            f"{_P}_events_unmatched", "Accepted events no subscription matched", ["source"], registry=r
        )
        self.events_rejected_unstored = Counter(
            f"{_P}_events_rejected_unstored",
            "Rejected events counted but not stored (over the per-request bound)",
            ["source"],
            registry=r,
        )
        self.ingest_throttled = Counter(
            f"{_P}_ingest_throttled", "Requests answered 429 by the source's rate limit", ["source"], registry=r
        )
        self.ingest_store_busy = Counter(
            f"{_P}_ingest_store_busy", "Ingest requests answered 503: the store did not commit in time", registry=r
        )
        self.connections_refused = Counter(
            f"{_P}_http_connections_refused", "Connections answered 503 at once: over the connection cap", registry=r
        )
        self.connections_timed_out = Counter(
            f"{_P}_http_connections_timed_out", "Connections closed: no complete request within the timeout", registry=r
        )
        self.jobs_delivered = Counter(f"{_P}_jobs_delivered", "Jobs SFMC accepted", job, registry=r)
        self.jobs_retried = Counter(f"{_P}_jobs_retried", "Failed attempts scheduled again", job, registry=r)
        self.jobs_throttled = Counter(
            f"{_P}_jobs_throttled", "Jobs given back after a 429 (attempt not counted)", job, registry=r
        )
        self.jobs_dead = Counter(f"{_P}_jobs_dead", "Jobs dead-lettered by the workers", job, registry=r)
        self.jobs_in_doubt = Counter(
            f"{_P}_jobs_in_doubt",
            "Jobs SFMC may have processed without an answer (held as dead letters, or resent)",
            job,
            registry=r,
        )
        self.jobs_doubt_settled = Counter(
            f"{_P}_jobs_doubt_settled",
            "Journey entries in doubt settled from SFMC's status endpoint (delivered, dead, resent, held)",
            [*job, "settled"],
            registry=r,
        )
        self.journey_entries_errored = Counter(
            f"{_P}_journey_entries_errored",
            "Delivered batched journey entries SFMC reported errored later (made dead letters)",
            ["subscription"],
            registry=r,
        )
        self.batch_jobs = Histogram(
            f"{_P}_batch_jobs", "Jobs per delivered batch", ["action"], buckets=BATCH_BUCKETS, registry=r
        )
        self.sfmc_requests = Counter(
            f"{_P}_sfmc_requests", "SFMC API calls by route and HTTP status", ["route", "status"], registry=r
        )
        self.sfmc_latency = Histogram(
            f"{_P}_sfmc_request_seconds", "SFMC API call latency", ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.token_requests = Counter(f"{_P}_sfmc_token_requests", "OAuth token requests to SFMC", registry=r)
        self.tenant_concurrency = Gauge(
            f"{_P}_tenant_concurrency", "Adaptive SFMC concurrency window per tenant", ["tenant"], registry=r
        )
        self.queue_jobs = Gauge(
            f"{_P}_queue_jobs", "Jobs in the store by subscription and state", ["subscription", "state"], registry=r
        )
        self.purged = Counter(f"{_P}_purged", "Rows purged by retention, by kind", ["kind"], registry=r)
        self.dead_letters_expired = Counter(
            f"{_P}_dead_letters_expired", "Dead letters purged after retention.dead", ["subscription"], registry=r
        )
        self.purge_seconds = Histogram(
            f"{_P}_purge_seconds", "Duration of a purge round", buckets=PURGE_BUCKETS, registry=r
        )
        self.purge_running = Gauge(f"{_P}_purge_running", "1 while this process runs a purge round", registry=r)
        self.store_bytes = Gauge(f"{_P}_store_bytes", "Size of the job store (file + WAL, or relations)", registry=r)
        self.queue_oldest_pending = Gauge(
            f"{_P}_queue_oldest_pending_seconds", "Age of the oldest job not yet delivered or dead", registry=r
        )

    def record_ingest(self, source: str, accepted: int, rejected: int, unmatched: int, unstored: int = 0) -> None:
        """What the ingest API, the webhook and `send` call once per request or file."""
        if accepted:
            self.events_accepted.labels(source).inc(accepted)
        if rejected:
            self.events_rejected.labels(source).inc(rejected)
        if unmatched:
            self.events_unmatched.labels(source).inc(unmatched)
        if unstored:
            self.events_rejected_unstored.labels(source).inc(unstored)

    def record_queue(self, counts: Iterable[tuple[str | None, str, int]], age_of_oldest: float | None) -> None:
        """Queue depth from the store's stats: (subscription, state, count) triples."""
        # Labels seen before but absent now (all delivered and purged) drop to 0 rather than linger stale.
        seen = {(subscription or "", state): count for subscription, state, count in counts}
        for labels in list(self._queue_labels()):
            if labels not in seen:
                self.queue_jobs.labels(*labels).set(0)
        for (subscription, state), count in seen.items():
            self.queue_jobs.labels(subscription, state).set(count)
        self.queue_oldest_pending.set(age_of_oldest or 0.0)

    def _queue_labels(self) -> list[tuple[str, str]]:
        return [(s.labels["subscription"], s.labels["state"]) for m in self.queue_jobs.collect() for s in m.samples]

    def render(self) -> bytes:
        return generate_latest(self.registry or REGISTRY)


METRICS = Metrics()
