"""The job model's own rules: which jobs are de-duplicated, stats arithmetic, secrets kept out of reprs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from sfmc_actions.queue import JobState, NewJob, QueueStats, SharedToken
from sfmc_actions.queue.jobs import StateCount

T0 = datetime(2030, 1, 1, tzinfo=UTC)
T1 = datetime(2030, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "message_id", "dedupe", "expected"),
    [
        ("apiEvent", "m1", None, True),  # journey entries: de-duplicated by default
        ("dataExtension", "m1", None, False),  # upserts are idempotent: no need
        ("dataExtension", "m1", True, True),
        ("apiEvent", "m1", False, False),
        ("apiEvent", None, True, False),  # nothing to de-duplicate on
    ],
)
def test_deduplicated(action: str, message_id: str | None, dedupe: bool | None, expected: bool) -> None:
    job = NewJob("sub", action, "k", "t", message_id, {}, {}, dedupe=dedupe)
    assert job.deduplicated is expected


def test_stats_totals_and_oldest_pending() -> None:
    stats = QueueStats(
        counts=(
            StateCount("a", JobState.PENDING, 3, T1),
            StateCount("b", JobState.CLAIMED, 2, T0),
            StateCount("b", JobState.DEAD, 1, T0),
        ),
        last_errors=(),
    )
    assert stats.total(JobState.PENDING) == 3 and stats.total(JobState.CLAIMED, "a") == 0
    assert stats.oldest_pending_at == T0
    assert QueueStats((), ()).oldest_pending_at is None


def test_shared_token_repr_hides_the_token() -> None:
    token = SharedToken(SecretStr("eyJhbGciOi.secret"), T0)
    assert "eyJ" not in repr(token) and "eyJ" not in str(token)
    assert token.token.get_secret_value() == "eyJhbGciOi.secret"
