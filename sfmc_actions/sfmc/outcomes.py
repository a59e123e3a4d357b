"""What happened to each input of an action's `send`: one outcome per payload, aligned by index.

Segment answers a batch with one multistatus node per event (segment-runtime.md §4.3) but, for SFMC, gives every
row of a failed rowset the same answer. Here each row gets its own: delivered, retry later, or dead with
SFMC's reason and the row that was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfmc_actions.errors import AuthenticationError, DeliveryError, InDoubtError, RetryableError


@dataclass(frozen=True)
class Delivered:
    """SFMC accepted it. `response_body` is SFMC's answer for this input (the echoed row, the contact, ...);
    `note` says what a reader should know, e.g. that a row to delete was already gone (the goal state)."""

    response_body: object = None
    note: str | None = None


@dataclass(frozen=True)
class Retry:
    """Not delivered for a transient reason: try again, not before `retry_after` seconds when SFMC said so.

    `auth_failed` marks a refused token or credentials: every job of the tenant will fail the same way until
    the settings are fixed, so a worker may pause the tenant instead of burning attempts. `status` is SFMC's
    HTTP status when it answered (429: throttled). `in_doubt` marks a request whose answer was lost after it
    was sent (InDoubtError): SFMC may have processed it, so resending is safe only for idempotent actions.
    """

    error: str
    retry_after: float | None = None
    auth_failed: bool = False
    status: int | None = None
    in_doubt: bool = False


@dataclass(frozen=True)
class Dead:
    """SFMC refused it for good (or it can never be sent): `error` is why, `sent` what was sent or built.

    `caught_before_sending`: no request was made; the row was checked against the data extension's fields and
    SFMC's documented rules say SFMC would refuse it (sfmc/schema.py), in SFMC's words."""

    error: str
    sent: object = None
    caught_before_sending: bool = False
    response: object = None  # SFMC's answer, {"status": ..., "body": ...}, when it answered


Outcome = Delivered | Retry | Dead


def outcome_for(error: DeliveryError, sent: object) -> Retry | Dead:
    """The outcome of one input whose request failed with `error` (as `classify` decided)."""
    if isinstance(error, AuthenticationError):
        return Retry(str(error), None, auth_failed=True, status=error.status)
    if isinstance(error, RetryableError):
        return Retry(str(error), error.retry_after, status=error.status, in_doubt=isinstance(error, InDoubtError))
    response = None if error.status is None else {"status": error.status, "body": error.body}
    return Dead(str(error), sent, response=response)
