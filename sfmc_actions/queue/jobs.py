"""What the job store holds and what callers hand it: jobs, rejected events, outcomes, stats, shared tokens.

A job is one event routed through one subscription: the raw event (kept so a replay can re-route it with the
current subscriptions), the validated payload (delivery never re-maps) and the batch key (action + resolved
target) that groups jobs into one SFMC call. Times are aware UTC datetimes throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import SecretStr

from sfmc_actions.config import DEFAULT_DESTINATION

# Journey entries are the one action where sending twice does harm (a contact enters the journey twice);
# Segment does not guard against it (landscape.md: "Deduplicate entry by messageId ... over a time window").
DEDUPED_ACTIONS = frozenset({"apiEvent"})


class JobState(StrEnum):
    PENDING = "pending"  # waiting for its available_at
    CLAIMED = "claimed"  # leased to a worker until available_at (the lease expiry)
    DELIVERED = "delivered"
    DEAD = "dead"  # given up: dead_reason says why; replayable
    REJECTED = "rejected"  # broke the Segment Spec at ingest: never routed, raw body kept


@dataclass(frozen=True)
class NewJob:
    """One routed event to enqueue. `dead_reason` set means "store it dead" (payload validation failed)."""

    subscription: str
    action: str
    batch_key: str  # action + resolved target, e.g. "dataExtension:key:Orders"
    tenant: str  # names the SFMC settings (tenant) the job is delivered with
    message_id: str | None
    event: dict[str, Any]
    payload: Any
    dead_reason: str | None = None
    dedupe: bool | None = None  # None: de-duplicate when the action is in DEDUPED_ACTIONS
    # The data extension row it writes or deletes, for subscriptions with `on_audience_exit: delete`: a job is not
    # sent while an earlier job with the same order key is still waiting (store.waiting_before). None: unordered.
    order_key: str | None = None
    destination: str = DEFAULT_DESTINATION  # the config destination it is delivered to (its settings, its workers)

    @property
    def deduplicated(self) -> bool:
        """Whether a second job with the same (destination, subscription, message_id) inside the window is skipped."""
        wanted = self.action in DEDUPED_ACTIONS if self.dedupe is None else self.dedupe
        return wanted and self.message_id is not None


@dataclass(frozen=True)
class RejectedEvent:
    """An input that failed the Segment Spec checks at ingest: kept with its reason, never routed."""

    reason: str
    raw_body: str
    message_id: str | None = None
    event: dict[str, Any] | None = None  # the parsed event, when the body was a JSON object


@dataclass(frozen=True)
class EnqueueResult:
    accepted: int  # jobs stored (including ones stored dead)
    duplicates: int  # de-duplicated jobs skipped (same destination + subscription + messageId inside the window)
    rejected: int = 0


@dataclass(frozen=True)
class Job:
    id: int
    subscription: str | None  # None only for rejected events
    action: str  # "" for rejected events
    batch_key: str
    tenant: str
    message_id: str | None
    event: dict[str, Any]
    payload: Any
    state: JobState
    attempts: int  # claims that counted: incremented at claim, given back by release()
    created_at: datetime
    available_at: datetime  # next attempt time; while claimed, the lease expiry
    updated_at: datetime
    lease_owner: str | None = None
    last_error: str | None = None
    dead_reason: str | None = None
    sent_row: Any = None  # what was sent when SFMC refused it, for the dead-letter view
    delivered_at: datetime | None = None
    replayed_at: datetime | None = None
    raw_body: str | None = None  # rejected events only
    # A previous claim marked the job as being sent (store.mark_sending) and never recorded an outcome: its
    # worker died, was killed or cut off mid-send, so SFMC may have processed the request. Cleared by an outcome.
    in_doubt: bool = False
    destination: str | None = DEFAULT_DESTINATION  # None only for rejected events (they reach no destination)

    @property
    def lease_expires_at(self) -> datetime | None:
        return self.available_at if self.state is JobState.CLAIMED else None


def dead_letter_record(job: Job, full: bool = True) -> dict[str, Any]:
    """A dead letter as JSON-ready data (`dead-letters list/show --json`, the console's admin API); `full` adds
    the row sent, the payload, the event and the raw body."""
    data: dict[str, Any] = {
        "id": job.id,
        "destination": job.destination,
        "subscription": job.subscription,
        "action": job.action or None,
        "state": job.state.value,
        "attempts": job.attempts,
        "message_id": job.message_id,
        "created_at": job.created_at.isoformat(),
        "died_at": job.updated_at.isoformat(),
        "reason": job.dead_reason or job.last_error,
        "replayed_at": job.replayed_at.isoformat() if job.replayed_at else None,
    }
    if full:
        data |= {
            "batch_key": job.batch_key or None,
            "tenant": job.tenant or None,
            "last_error": job.last_error,
            "sent_row": job.sent_row,
            "payload": job.payload,
            "event": job.event,
            "raw_body": job.raw_body,
        }
    return data


# What the store records for a job after an attempt (deliver/outcomes.py decides it from the action's own
# per-event outcome, sfmc/outcomes.py: Delivered, Retry or Dead).
@dataclass(frozen=True)
class JobDelivered:
    pass


@dataclass(frozen=True)
class JobRetry:
    at: datetime
    error: str


@dataclass(frozen=True)
class JobDead:
    reason: str
    sent_row: Any = None
    response: Any = None  # SFMC's answer (status and body), kept for the error groups' samples


JobOutcome = JobDelivered | JobRetry | JobDead


# What the store keeps of journey entries' sends (store.mark_sending, record_entries, retry_in_doubt), so that a
# worker can ask SFMC's status endpoint what became of an entry whose answer was lost.
@dataclass(frozen=True)
class EntrySend:
    """A job's last send: when it started (marked as sending) and, when its answer was lost, when that was
    noticed; what SFMC answered for it when it did (batched entry: requestId and eventInstanceId)."""

    sent_from: datetime | None = None
    sent_until: datetime | None = None
    request_id: str | None = None
    event_instance_id: str | None = None


@dataclass(frozen=True)
class EntryAnswer:
    """SFMC's answer for one delivered journey entry (store.record_entries)."""

    job_id: int
    request_id: str | None
    event_instance_id: str


@dataclass(frozen=True)
class DoubtRetry:
    """A journey entry whose answer was lost: back to pending at `at`, in doubt, its send ending `sent_until`."""

    job_id: int
    at: datetime
    error: str
    sent_until: datetime


@dataclass(frozen=True)
class EntryKey:
    """A batch key with delivered batched journey entries (store.recent_entry_keys): the first send since the
    time asked, and the id of one of its jobs (to read its payload's eventDefinitionKey)."""

    batch_key: str
    first_sent: datetime
    job_id: int


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    lost: tuple[int, ...] = ()  # job ids whose lease another worker holds now: their outcome was dropped


@dataclass(frozen=True)
class StateCount:
    subscription: str | None
    state: JobState
    count: int
    oldest_created_at: datetime
    destination: str | None = DEFAULT_DESTINATION


@dataclass(frozen=True)
class ErrorSample:
    job_id: int
    subscription: str | None
    state: JobState
    error: str
    at: datetime
    destination: str | None = DEFAULT_DESTINATION


@dataclass(frozen=True)
class QueueStats:
    counts: tuple[StateCount, ...]
    last_errors: tuple[ErrorSample, ...]

    @property
    def oldest_pending_at(self) -> datetime | None:
        """Creation time of the oldest job not yet delivered or dead (pending or claimed)."""
        times = [c.oldest_created_at for c in self.counts if c.state in (JobState.PENDING, JobState.CLAIMED)]
        return min(times) if times else None

    def total(self, state: JobState, subscription: str | None = None, destination: str | None = None) -> int:
        wanted = [c for c in self.counts if c.state is state and (destination is None or c.destination == destination)]
        return sum(c.count for c in wanted if subscription is None or c.subscription == subscription)


@dataclass(frozen=True)
class SharedToken:
    """An OAuth access token shared by every worker of one tenant. The value never shows in a repr."""

    token: SecretStr = field(repr=False)
    expires_at: datetime
