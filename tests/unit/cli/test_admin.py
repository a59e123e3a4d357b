"""status and dead-letter replay logic: time filters, the status report, and what a replay re-routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sfmc_actions.cli.admin import Replayer, duration, job_dict, parse_since, status_report
from sfmc_actions.queue.jobs import ErrorSample, Job, JobState, QueueStats, StateCount
from sfmc_actions.route.router import Router
from sfmc_actions.service.load import load

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CONFIG = """
subscriptions:
  - name: orders
    action: dataExtension
    trigger: type = "track" and event = "Order Completed"
    mapping:
      key: Orders
      keys: { Order_ID: { "@path": "$.properties.order_id" } }
      values: { Revenue: { "@path": "$.properties.revenue" } }
  - name: contacts
    action: contact
    trigger: type = "track"
    mapping:
      contactKey: { "@path": "$.userId" }
  - name: paused
    action: contact
    enabled: false
    trigger: type = "track"
    mapping:
      contactKey: { "@path": "$.userId" }
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        ("1.5d", NOW - timedelta(hours=36)),
        ("2025-02-28T10:00:00Z", datetime(2025, 2, 28, 10, tzinfo=UTC)),
        ("2025-02-28T10:00:00", datetime(2025, 2, 28, 10, tzinfo=UTC)),
        ("2025-02-28T10:00:00+02:00", datetime(2025, 2, 28, 8, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


def test_parse_since_says_what_it_accepts() -> None:
    with pytest.raises(ValueError, match=r"--since 'yesterday' is neither a duration back from now \(30m"):
        parse_since("yesterday", NOW)


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
    report = status_report(stats, "sqlite:///x.db", NOW)
    rows = {r["subscription"]: r for r in report["subscriptions"]}
    assert [r["subscription"] for r in report["subscriptions"]] == ["contacts", "orders", "(rejected at ingest)"]
    assert rows["orders"]["pending"] == 3 and rows["orders"]["claimed"] == 1 and rows["orders"]["delivered"] == 40
    assert rows["orders"]["oldest_waiting_seconds"] == 540
    assert rows["contacts"]["oldest_waiting_seconds"] is None
    assert report["totals"] == {"pending": 3, "claimed": 1, "delivered": 40, "dead": 2, "rejected": 1}
    assert report["oldest_waiting_seconds"] == 540
    assert report["last_errors"][0] == {
        "job_id": 9,
        "subscription": "contacts",
        "state": "dead",
        "at": NOW.isoformat(),
        "error": "SFMC answered 400",
    }


@pytest.fixture
def replayer(tmp_path: Path) -> Replayer:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    loaded = load(path)
    return Replayer(Router(loaded.subscriptions, "emulator"))


def dead(
    job_id: int, subscription: str | None, event: dict[str, Any], state: JobState = JobState.DEAD, **kwargs: Any
) -> Job:
    return Job(
        job_id, subscription, "", "", "emulator", event.get("messageId"), event, None, state, 3, NOW, NOW, NOW, **kwargs
    )


ORDER = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "messageId": "m1",
    "properties": {"order_id": "o-1", "revenue": 12.5},
}


def test_replay_reroutes_through_the_job_s_own_subscription_only(replayer: Replayer) -> None:
    plan = replayer.plan([dead(1, "orders", ORDER)])
    (jobs,) = plan.jobs.values()
    assert [j.subscription for j in jobs] == ["orders"]  # not "contacts", which delivered it already
    assert jobs[0].payload["keys"] == {"Order_ID": "o-1"}
    assert replayer(dead(1, "orders", ORDER)) == jobs


def test_replay_leaves_what_would_produce_nothing(replayer: Replayer) -> None:
    signup = {**ORDER, "event": "Signed Up"}
    plan = replayer.plan(
        [
            dead(1, "gone", ORDER),
            dead(2, "paused", ORDER),
            dead(3, "orders", signup),
            dead(4, "orders", ORDER, replayed_at=NOW),
            dead(5, "orders", ORDER, state=JobState.DELIVERED),
        ]
    )
    assert plan.jobs == {}
    assert "'gone' is not an enabled subscription" in plan.skipped[1]
    assert "'paused' is not an enabled subscription" in plan.skipped[2]
    assert "no longer matches the trigger of subscription 'orders'" in plan.skipped[3]
    assert plan.skipped[4] == "replayed already"
    assert plan.skipped[5] == "not a dead letter (it is delivered)"


def test_rejected_events_go_through_every_subscription_once_valid(replayer: Replayer) -> None:
    fixed = dead(1, None, ORDER, state=JobState.REJECTED)
    still_bad = dead(2, None, {}, state=JobState.REJECTED, raw_body='{"type": "track"}')
    not_json = dead(3, None, {}, state=JobState.REJECTED, raw_body="{oops")
    plan = replayer.plan([fixed, still_bad, not_json])
    assert sorted(j.subscription for j in plan.jobs[1]) == ["contacts", "orders"]
    assert "still breaks the Segment Spec" in plan.skipped[2]
    assert "still breaks the Segment Spec" in plan.skipped[3]


def test_job_dict_is_json_ready() -> None:
    data = job_dict(dead(1, "orders", ORDER, dead_reason="SFMC row error", sent_row={"keys": {}}))
    assert data["reason"] == "SFMC row error" and data["sent_row"] == {"keys": {}} and data["event"] == ORDER
    assert "event" not in job_dict(dead(1, "orders", ORDER), full=False)
