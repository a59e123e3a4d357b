"""`status`: the report as plain data (its --json output) and the duration format of its tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfmc_actions.cli.output import duration
from sfmc_actions.queue.jobs import ErrorSample, JobState, QueueStats, StateCount
from sfmc_actions.queue.status_report import STATES, queue_rows

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_the_columns_are_the_job_states_in_order() -> None:
    assert tuple(state.value for state in JobState) == STATES


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "-"), (5, "5s"), (125, "2m05s"), (3 * 3600 + 60, "3h01m"), (50 * 3600, "2d02h")]
)
def test_duration(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_status_report() -> None:
    stats = QueueStats(
        counts=(
            StateCount("orders", JobState.PENDING, 3, NOW - timedelta(minutes=5)),
            StateCount("orders", JobState.CLAIMED, 1, NOW - timedelta(minutes=9)),
            StateCount("orders", JobState.DELIVERED, 40, NOW - timedelta(hours=3)),
            StateCount("contacts", JobState.DEAD, 2, NOW - timedelta(hours=1)),
            StateCount(None, JobState.REJECTED, 1, NOW - timedelta(hours=2)),
        ),
        last_errors=(ErrorSample(9, "contacts", JobState.DEAD, "SFMC answered 400", NOW),),
    )
    queue = queue_rows(stats, NOW)
    rows = {r["subscription"]: r for r in queue}
    assert [r["subscription"] for r in queue] == ["contacts", "orders", "(rejected at ingest)"]
    assert rows["orders"]["pending"] == 3 and rows["orders"]["claimed"] == 1 and rows["orders"]["delivered"] == 40
    assert rows["orders"]["oldest_waiting_seconds"] == 540
    assert rows["contacts"]["oldest_waiting_seconds"] is None
    assert stats.oldest_pending_at == NOW - timedelta(minutes=9)
    assert {r["destination"] for r in queue} == {"default", None}  # rejected events reach no destination


def test_queue_rows_are_per_destination_and_subscription() -> None:
    stats = QueueStats(
        counts=(
            StateCount("orders", JobState.PENDING, 3, NOW - timedelta(minutes=5), "emea"),
            StateCount("orders", JobState.PENDING, 7, NOW - timedelta(minutes=1), "us"),
            StateCount(None, JobState.REJECTED, 1, NOW - timedelta(hours=2), None),
        ),
        last_errors=(ErrorSample(9, "orders", JobState.PENDING, "429", NOW, "us"),),
    )
    assert [(r["destination"], r["subscription"], r["pending"]) for r in queue_rows(stats, NOW)] == [
        ("emea", "orders", 3),
        ("us", "orders", 7),
        (None, "(rejected at ingest)", 0),
    ]


@pytest.mark.parametrize(("ms", "text"), [(None, "-"), (250.4, "250ms"), (2375.0, "2.4s"), (125_000.0, "2m05s")])
def test_latency_cells_stay_short(ms: float | None, text: str) -> None:
    from sfmc_actions.cli.status import _ms

    assert _ms(ms) == text
