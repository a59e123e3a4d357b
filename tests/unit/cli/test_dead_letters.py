"""`dead-letters`: its time filter and the JSON form of a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfmc_actions.cli.dead_letters import job_dict, parse_since
from sfmc_actions.queue.jobs import Job, JobState

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDER = {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1"}


def dead(job_id: int, subscription: str, event: dict[str, object], **kwargs: object) -> Job:
    return Job(job_id, subscription, "", "", "emulator", "m1", event, None, JobState.DEAD, 3, NOW, NOW, NOW, **kwargs)  # type: ignore[arg-type]


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


def test_job_dict_is_json_ready() -> None:
    data = job_dict(dead(1, "orders", ORDER, dead_reason="SFMC row error", sent_row={"keys": {}}))
    assert data["reason"] == "SFMC row error" and data["sent_row"] == {"keys": {}} and data["event"] == ORDER
    assert "event" not in job_dict(dead(1, "orders", ORDER), full=False)
