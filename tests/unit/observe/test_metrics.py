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
    metrics.record_queue([("orders", "pending", 4), ("orders", "delivered", 10), (None, "rejected", 1)], 12.5)
    metrics.record_queue([("orders", "delivered", 14)], None)
    sample = metrics.registry.get_sample_value  # type: ignore[union-attr]
    assert sample("sfmc_actions_queue_jobs", {"subscription": "orders", "state": "pending"}) == 0
    assert sample("sfmc_actions_queue_jobs", {"subscription": "orders", "state": "delivered"}) == 14
    assert sample("sfmc_actions_queue_jobs", {"subscription": "", "state": "rejected"}) == 0
    assert sample("sfmc_actions_queue_oldest_pending_seconds", {}) == 0


def test_render_is_the_text_format() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.jobs_delivered.labels("orders", "dataExtension").inc(3)
    text = metrics.render().decode()
    assert 'sfmc_actions_jobs_delivered_total{action="dataExtension",subscription="orders"} 3.0' in text
