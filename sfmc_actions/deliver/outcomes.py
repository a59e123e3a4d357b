"""From an action's per-event outcome to what the store records for the job: a pure, table-tested function.

    sfmc Delivered                  -> queue Delivered
    sfmc Dead(error, sent)          -> queue Dead(error, sent): SFMC's reason and the row that was sent
    sfmc Retry, throttled (429)     -> given back (store.release): the attempt does not count, see below
    sfmc Retry (anything else)      -> RetryPolicy.on_failure: Retry at backoff-with-jitter (never sooner than
                                       Retry-After), or Dead once BOTH the attempt and the age limit are passed

Why a 429 does not count as an attempt: the event is fine and SFMC is up; the tenant sent too much. Counting
it would let a busy hour dead-letter good events ("a rate-limited tenant does not burn retries"). The tenant
limiter holds every claim until the Retry-After, so a job given back waits for it too. After `max_age` (4 h)
throttled attempts count like any other, so a tenant throttled for ever still ends in dead letters instead of
an ever-growing queue.

A Retry from refused credentials (`auth_failed`) counts: the settings are wrong, the limiter pauses the tenant
and the worker logs it once; if nobody fixes them within the limits the jobs end in dead letters (replayable).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sfmc_actions.queue.jobs import Dead, Delivered, Job, Outcome
from sfmc_actions.queue.retry import RetryPolicy
from sfmc_actions.sfmc import outcomes as sfmc

# classify.py words every HTTP failure "SFMC answered <status> ..." and the token endpoint's "SFMC's token
# endpoint answered <status>: ...": the status is the one fact a Retry outcome does not carry as a field.
_THROTTLED = re.compile(r"\banswered 429\b")


class Kind(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"
    THROTTLED = "throttled"  # given back, attempt not counted


@dataclass(frozen=True)
class Decision:
    job_id: int
    kind: Kind
    outcome: Outcome | None  # None for THROTTLED: the job is released, not updated
    auth_failed: bool = False


def is_throttled(result: sfmc.Retry) -> bool:
    return bool(_THROTTLED.search(result.error))


def decide(
    job: Job,
    result: sfmc.Outcome,
    policy: RetryPolicy,
    now: datetime,
    rand: Callable[[], float] = random.random,
) -> Decision:
    if isinstance(result, sfmc.Delivered):
        return Decision(job.id, Kind.DELIVERED, Delivered())
    if isinstance(result, sfmc.Dead):
        return Decision(job.id, Kind.DEAD, Dead(result.error, result.sent))
    if not isinstance(result, sfmc.Retry):
        return retry_later(job, f"internal error: the action returned {type(result).__name__}", policy, now, rand)
    young = (now - job.created_at).total_seconds() < policy.max_age
    if is_throttled(result) and young and not result.auth_failed:
        return Decision(job.id, Kind.THROTTLED, None)
    decision = retry_later(job, result.error, policy, now, rand, result.retry_after)
    return Decision(decision.job_id, decision.kind, decision.outcome, auth_failed=result.auth_failed)


def retry_later(
    job: Job,
    error: str,
    policy: RetryPolicy,
    now: datetime,
    rand: Callable[[], float] = random.random,
    retry_after: float | None = None,
) -> Decision:
    """A failed attempt through the retry policy: Retry at a time, or Dead when both limits are passed."""
    outcome = policy.on_failure(
        attempts=max(job.attempts, 1), created_at=job.created_at, now=now, error=error, retry_after=retry_after,
        rand=rand,
    )  # fmt: skip
    return Decision(job.id, Kind.DEAD if isinstance(outcome, Dead) else Kind.RETRY, outcome)
