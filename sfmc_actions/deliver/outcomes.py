"""From an action's per-event outcome to what the store records for the job: a pure, table-tested function.

    sfmc Delivered                  -> JobDelivered
    sfmc Dead(error, sent)          -> JobDead(error, sent): SFMC's reason and the row that was sent
    sfmc Retry, throttled (429)     -> given back (store.release): the attempt does not count, see below
    sfmc Retry (anything else)      -> RetryPolicy.on_failure: JobRetry at backoff-with-jitter (never sooner than
                                       Retry-After), or JobDead once BOTH the attempt and the age limit are passed

Why a 429 does not count as an attempt: the event is fine and SFMC is up; the tenant sent too much. Counting
it would let a busy hour dead-letter good events ("a rate-limited tenant does not burn retries"). The tenant
limiter holds every claim until the Retry-After, so a job given back waits for it too. After `max_age` (4 h)
throttled attempts count like any other, so a tenant throttled for ever still ends in dead letters instead of
an ever-growing queue.

A Retry from refused credentials (`auth_failed`) counts: the settings are wrong, the limiter pauses the tenant
and the worker logs it once; if nobody fixes them within the limits the jobs end in dead letters (replayable).

In doubt: a request of an action that must not be repeated (a journey entry: `Action.idempotent` is false)
whose answer was lost after it went out (`Retry.in_doubt`), or whose worker stopped mid-send (`Job.in_doubt`),
may have been processed by SFMC. With `delivery.in_doubt: hold` (the default) it is never resent blindly: it
becomes a dead letter saying what happened and what to do (`held_in_doubt`); with `resend` it is retried like
any failure (at least once: the contact may enter twice). Idempotent actions simply retry. Journey entries
first ask SFMC's status endpoint (worker_journeys.py): a Decision with `sent_until` keeps the job in doubt,
to be asked about later; the policy applies only to what SFMC cannot tell.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sfmc_actions.queue.jobs import Job, JobDead, JobDelivered, JobOutcome
from sfmc_actions.queue.retry import RetryPolicy
from sfmc_actions.sfmc.outcomes import Dead, Delivered, Outcome, Retry

THROTTLED = 429
IN_DOUBT = "in doubt"  # every in-doubt reason starts so: `dead-letters list|replay --reason "in doubt"`
SENT_ANSWER_LOST = "was sent but its answer was lost ({error})"
WORKER_STOPPED = "was being sent when its worker stopped (killed, crashed or cut off) before recording SFMC's answer"


class Kind(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"
    THROTTLED = "throttled"  # given back, attempt not counted


@dataclass(frozen=True)
class Decision:
    job_id: int
    kind: Kind
    outcome: JobOutcome | None  # None for THROTTLED: the job is released, not updated
    auth_failed: bool = False
    in_doubt: bool = False  # a request that must not be repeated may have been processed (held or resent)
    # A journey entry whose answer was lost: retried in doubt (store.entries.retry_in_doubt), its send's window
    # ending here, so that SFMC's status endpoint is asked about it before anything is sent again.
    sent_until: datetime | None = None


@dataclass(frozen=True)
class InDoubtPolicy:
    """How `decide` treats a lost answer for a job of an action that must not be repeated."""

    hold: bool  # delivery.in_doubt: hold (True) or resend (False)
    subject: str  # Action.describe(payload): "the journey entry of contact 'u1' (...)"


def is_throttled(result: Retry) -> bool:
    return result.status == THROTTLED


def decide(
    job: Job,
    result: Outcome,
    policy: RetryPolicy,
    now: datetime,
    rand: Callable[[], float] = random.random,
    *,
    in_doubt: InDoubtPolicy | None = None,
) -> Decision:
    """`in_doubt`: given for actions that must not be repeated (None: idempotent, lost answers just retry)."""
    if isinstance(result, Delivered):
        return Decision(job.id, Kind.DELIVERED, JobDelivered(), in_doubt=in_doubt is not None and job.in_doubt)
    if isinstance(result, Dead):
        return Decision(job.id, Kind.DEAD, JobDead(result.error, result.sent, result.response))
    if not isinstance(result, Retry):
        return retry_later(job, f"internal error: the action returned {type(result).__name__}", policy, now, rand)
    doubt = in_doubt is not None and (result.in_doubt or job.in_doubt)
    if in_doubt is not None and in_doubt.hold and result.in_doubt:
        return held_in_doubt(job, in_doubt.subject, SENT_ANSWER_LOST.format(error=result.error))
    young = (now - job.created_at).total_seconds() < policy.max_age
    if is_throttled(result) and young and not result.auth_failed:
        return Decision(job.id, Kind.THROTTLED, None, in_doubt=doubt)
    decision = retry_later(job, result.error, policy, now, rand, result.retry_after)
    return Decision(decision.job_id, decision.kind, decision.outcome, auth_failed=result.auth_failed, in_doubt=doubt)


def held_in_doubt(job: Job, subject: str, what_happened: str) -> Decision:
    """A dead letter that says what happened and what to do: SFMC may or may not have processed the request."""
    reason = (
        f"{IN_DOUBT}: {subject} {what_happened}, so SFMC may have processed it. It is not resent automatically "
        "(delivery.in_doubt: hold) because sending it twice would repeat it (a contact entering the journey "
        "twice). Check in SFMC whether it arrived (Journey Builder: the journey's contact history), and only "
        f"if it did not, replay it: sfmc-actions dead-letters replay --config CONFIG {job.id} "
        f'(all of them: --reason "{IN_DOUBT}", after checking each)'
    )
    return Decision(job.id, Kind.DEAD, JobDead(reason, job.payload), in_doubt=True)


def retry_later(
    job: Job,
    error: str,
    policy: RetryPolicy,
    now: datetime,
    rand: Callable[[], float] = random.random,
    retry_after: float | None = None,
) -> Decision:
    """A failed attempt through the retry policy: JobRetry at a time, or JobDead when both limits are passed."""
    outcome = policy.on_failure(
        attempts=max(job.attempts, 1),
        created_at=job.created_at,
        now=now,
        error=error,
        retry_after=retry_after,
        rand=rand,
    )
    return Decision(job.id, Kind.DEAD if isinstance(outcome, JobDead) else Kind.RETRY, outcome)
