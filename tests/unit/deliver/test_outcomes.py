"""From an action's per-event outcome to the store's: a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfmc_actions.deliver.outcomes import InDoubtPolicy, Kind, decide, is_throttled, retry_later
from sfmc_actions.queue.jobs import Job, JobDead, JobDelivered, JobRetry, JobState
from sfmc_actions.queue.retry import RetryPolicy
from sfmc_actions.sfmc import outcomes as sfmc

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_delay=1.0, factor=2.0, max_delay=600, jitter=0.5, max_attempts=10, max_age=4 * 3600)
THROTTLED = "SFMC answered 429 Too Many Requests: Rate limit exceeded (errorcode 50100)"


def job(attempts: int = 1, age: float = 10.0) -> Job:
    created = NOW - timedelta(seconds=age)
    return Job(
        7,
        "orders",
        "dataExtension",
        "dataExtension:key:Orders",
        "t",
        "m-1",
        {},
        {"keys": {}},
        JobState.CLAIMED,
        attempts,
        created,
        NOW,
        NOW,
    )


def no_jitter() -> float:
    return 0.0


def test_delivered() -> None:
    d = decide(job(), sfmc.Delivered({"keys": {}}), POLICY, NOW)
    assert (d.kind, d.outcome) == (Kind.DELIVERED, JobDelivered())


def test_dead_keeps_sfmcs_reason_and_the_sent_row() -> None:
    d = decide(job(), sfmc.Dead("SFMC row error: Email is invalid", {"keys": {"id": 1}}), POLICY, NOW)
    assert d.kind is Kind.DEAD
    assert d.outcome == JobDead("SFMC row error: Email is invalid", {"keys": {"id": 1}})


@pytest.mark.parametrize(
    ("attempts", "retry_after", "expected_delay"),
    [
        (1, None, 1.0),  # base delay after the first failure
        (3, None, 4.0),  # 1 * 2 ** 2
        (3, 30.0, 30.0),  # Retry-After wins when longer
        (3, 0.5, 4.0),  # ... never shortens the backoff
        (20, None, 600.0),  # capped
    ],
)
def test_retry_follows_the_policy(attempts: int, retry_after: float | None, expected_delay: float) -> None:
    d = decide(job(attempts), sfmc.Retry("SFMC answered 503 Service Unavailable", retry_after), POLICY, NOW, no_jitter)
    assert d.kind is Kind.RETRY
    assert isinstance(d.outcome, JobRetry)
    assert d.outcome.at == NOW + timedelta(seconds=expected_delay)
    assert d.outcome.error == "SFMC answered 503 Service Unavailable"


def test_jitter_takes_up_to_half_off() -> None:
    d = decide(job(3), sfmc.Retry("network error"), POLICY, NOW, lambda: 1.0)
    assert isinstance(d.outcome, JobRetry) and d.outcome.at == NOW + timedelta(seconds=2.0)


@pytest.mark.parametrize(
    ("attempts", "age", "kind"),
    [
        (10, 3 * 3600, Kind.RETRY),  # attempts used up, but young: keep trying
        (3, 5 * 3600, Kind.RETRY),  # old, but few attempts: keep trying
        (10, 4 * 3600, Kind.DEAD),  # both limits passed
    ],
)
def test_dead_only_when_both_limits_pass(attempts: int, age: float, kind: Kind) -> None:
    d = decide(job(attempts, age), sfmc.Retry("SFMC answered 500 Internal Server Error"), POLICY, NOW)
    assert d.kind is kind
    if kind is Kind.DEAD:
        assert isinstance(d.outcome, JobDead)
        assert "gave up after 10 attempts" in d.outcome.reason and "500 Internal Server Error" in d.outcome.reason


def test_a_429_is_given_back_without_an_outcome() -> None:
    d = decide(job(10, 3 * 3600), sfmc.Retry(THROTTLED, 5.0, status=429), POLICY, NOW)
    assert (d.kind, d.outcome) == (Kind.THROTTLED, None)


def test_throttling_is_the_status_429_not_the_text() -> None:
    assert is_throttled(sfmc.Retry("SFMC's token endpoint answered 429: Too many requests", 2.0, status=429))
    assert not is_throttled(sfmc.Retry("SFMC answered 503 Service Unavailable: answered 429 in the text", status=503))
    assert not is_throttled(sfmc.Retry("timed out waiting for the answer"))


def test_after_the_age_limit_429s_count_like_any_failure() -> None:
    young = decide(job(10, 4 * 3600 - 1), sfmc.Retry(THROTTLED, 5.0, status=429), POLICY, NOW)
    old = decide(job(10, 4 * 3600), sfmc.Retry(THROTTLED, 5.0, status=429), POLICY, NOW)
    assert young.kind is Kind.THROTTLED
    assert old.kind is Kind.DEAD


def test_refused_credentials_count_and_are_flagged() -> None:
    d = decide(job(2), sfmc.Retry("SFMC refused the credentials (HTTP 401)", None, auth_failed=True), POLICY, NOW)
    assert d.kind is Kind.RETRY and d.auth_failed


def test_retry_later_uses_the_given_delay() -> None:
    d = retry_later(job(1), "subscription 'x' is not in this worker's config", POLICY, NOW, no_jitter, 60.0)
    assert isinstance(d.outcome, JobRetry) and d.outcome.at == NOW + timedelta(seconds=60)
    assert "not in this worker's config" in d.outcome.error


LOST = sfmc.Retry("timed out waiting for the answer: ReadTimeout", in_doubt=True)
HOLD = InDoubtPolicy(hold=True, subject="the journey entry of contact 'u1' (event definition 'E')")


@pytest.mark.parametrize(
    ("result", "policy", "kind", "counted"),
    [
        (LOST, HOLD, Kind.DEAD, True),  # a journey entry SFMC may have processed: held, never resent
        (LOST, InDoubtPolicy(hold=False, subject="x"), Kind.RETRY, True),  # resend: at least once
        (LOST, None, Kind.RETRY, False),  # an idempotent action: just resend
        (sfmc.Retry("SFMC answered 503", status=503), HOLD, Kind.RETRY, False),  # SFMC said it did not do it
        (sfmc.Retry("SFMC answered 429", status=429), HOLD, Kind.THROTTLED, False),
    ],
)
def test_lost_answers_of_actions_that_must_not_repeat(
    result: sfmc.Retry, policy: InDoubtPolicy | None, kind: Kind, counted: bool
) -> None:
    d = decide(job(), result, POLICY, NOW, in_doubt=policy)
    assert (d.kind, d.in_doubt) == (kind, counted)


def test_the_held_dead_letter_says_what_happened_and_what_to_do() -> None:
    d = decide(job(), LOST, POLICY, NOW, in_doubt=HOLD)
    assert isinstance(d.outcome, JobDead) and d.outcome.sent_row == {"keys": {}}
    assert d.outcome.reason == (
        "in doubt: the journey entry of contact 'u1' (event definition 'E') was sent but its answer was lost "
        "(timed out waiting for the answer: ReadTimeout), so SFMC may have processed it. It is not resent "
        "automatically (delivery.in_doubt: hold) because sending it twice would repeat it (a contact entering the "
        "journey twice). Check in SFMC whether it arrived (Journey Builder: the journey's contact history), and "
        "only if it did not, replay it: sfmc-actions dead-letters replay --config CONFIG 7 "
        '(all of them: --reason "in doubt", after checking each)'
    )
