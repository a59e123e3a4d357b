"""RetryPolicy as a table: delays, jitter, Retry-After, and dead only when attempts AND age are exhausted."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sfmc_actions.queue import JobDead, JobRetry, RetryPolicy

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
NO_JITTER = RetryPolicy(base_delay=1, factor=2, max_delay=60, jitter=0, max_attempts=5, max_age=3600)


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (50, 60.0), (5000, 60.0)],
)
def test_exponential_delay_is_capped(attempts: int, expected: float) -> None:
    assert NO_JITTER.delay(attempts) == expected


@pytest.mark.parametrize(
    ("rand", "expected"),
    [(0.0, 8.0), (0.5, 6.0), (0.999999, 4.000004)],
)
def test_jitter_takes_off_up_to_its_fraction(rand: float, expected: float) -> None:
    policy = RetryPolicy(base_delay=1, factor=2, max_delay=60, jitter=0.5)
    assert policy.delay(4, rand=lambda: rand) == pytest.approx(expected)


def test_seeded_jitter_is_reproducible_and_spread() -> None:
    policy = RetryPolicy(base_delay=10, factor=1, max_delay=10, jitter=0.5)
    first = [policy.delay(1, random.Random(7).random) for _ in range(3)]
    rng = random.Random(7)
    spread = [policy.delay(1, rng.random) for _ in range(200)]
    assert first[0] == first[1] == first[2]
    assert all(5 <= d <= 10 for d in spread) and max(spread) - min(spread) > 3


@pytest.mark.parametrize(
    ("attempts", "age_seconds", "retry_after", "outcome"),
    [
        # young job, few attempts: back off
        (1, 0, None, 1.0),
        (3, 100, None, 4.0),
        # SFMC's Retry-After wins when it asks for longer, never when shorter
        (1, 0, 30.0, 30.0),
        (3, 100, 0.5, 4.0),
        (3, 100, 7200.0, 7200.0),
        # attempts exhausted but young: keep trying (a burst of 5xx does not kill a job in minutes)
        (5, 600, None, 16.0),
        (40, 3599, None, 60.0),
        # old but few attempts: keep trying
        (4, 99_999, None, 8.0),
        # both exhausted: dead
        (5, 3600, None, "dead"),
        (9, 7200, 30.0, "dead"),
    ],
)
def test_on_failure_table(attempts: int, age_seconds: float, retry_after: float | None, outcome: object) -> None:
    result = NO_JITTER.on_failure(
        attempts=attempts,
        created_at=NOW - timedelta(seconds=age_seconds),
        now=NOW,
        error="503 Service Unavailable",
        retry_after=retry_after,
    )
    if outcome == "dead":
        assert isinstance(result, JobDead)
        assert result.reason.startswith(f"gave up after {attempts} attempts over ")
        assert result.reason.endswith("last error: 503 Service Unavailable")
    else:
        assert isinstance(result, JobRetry)
        assert result.at == NOW + timedelta(seconds=float(outcome))  # type: ignore[arg-type]
        assert result.error == "503 Service Unavailable"


def test_defaults_follow_segment_four_hours() -> None:
    policy = RetryPolicy()
    assert policy.max_age == 4 * 3600
    assert not policy.gives_up(attempts=1000, age=4 * 3600 - 1)
    assert policy.gives_up(attempts=policy.max_attempts, age=4 * 3600)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_delay": 0}, "base_delay must be > 0"),
        ({"factor": 0.5}, "factor must be >= 1"),
        ({"base_delay": 10, "max_delay": 5}, r"max_delay \(5\) must be >= base_delay \(10\)"),
        ({"jitter": 1.0}, r"jitter must be in \[0, 1\)"),
        ({"max_attempts": 0}, "max_attempts must be >= 1"),
        ({"max_age": -1}, "max_age must be >= 0"),
    ],
)
def test_invalid_policy_says_what_to_fix(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_attempts_start_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        NO_JITTER.delay(0)
