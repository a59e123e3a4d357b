from __future__ import annotations

from prometheus_client import CollectorRegistry

from sfmc_actions.observe.metrics import Metrics


def test_ingest_counts_by_source() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.record_ingest("website", accepted=5, rejected=1, unmatched=2)
    metrics.record_ingest("website", accepted=1, rejected=0, unmatched=0)
    sample = metrics.registry.get_sample_value  # type: ignore[union-attr]
    assert sample("sfmc_actions_events_accepted_total", {"source": "website"}) == 6
    assert sample("sfmc_actions_events_rejected_total", {"source": "website"}) == 1
    assert sample("sfmc_actions_events_unmatched_total", {"source": "website"}) == 2


def test_queue_depth_drops_states_that_emptied_to_zero() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.record_queue(
        [
            ("default", "orders", "pending", 4),
            ("default", "orders", "delivered", 10),
            ("eu", "orders", "pending", 2),
            (None, None, "rejected", 1),
        ],
        12.5,
    )
    metrics.record_queue([("default", "orders", "delivered", 14), ("eu", "orders", "pending", 3)], None)
    sample = metrics.registry.get_sample_value  # type: ignore[union-attr]
    assert (
        sample("sfmc_actions_queue_jobs", {"destination": "default", "subscription": "orders", "state": "pending"}) == 0
    )
    assert sample("sfmc_actions_queue_jobs", {"destination": "eu", "subscription": "orders", "state": "pending"}) == 3
    assert (
        sample("sfmc_actions_queue_jobs", {"destination": "default", "subscription": "orders", "state": "delivered"})
        == 14
    )
    assert sample("sfmc_actions_queue_jobs", {"destination": "", "subscription": "", "state": "rejected"}) == 0
    assert sample("sfmc_actions_queue_oldest_pending_seconds", {}) == 0


def test_render_is_the_text_format() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.jobs_delivered.labels("default", "orders", "dataExtension").inc(3)
    text = metrics.render().decode()
    assert (
        'sfmc_actions_jobs_delivered_total{action="dataExtension",destination="default",subscription="orders"} 3.0'
        in text
    )
