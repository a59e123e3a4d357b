"""What a dead-letter replay re-routes, and what it leaves in place (route/replay.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sfmc_actions.queue.jobs import Job, JobState
from sfmc_actions.route.replay import Replayer
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
