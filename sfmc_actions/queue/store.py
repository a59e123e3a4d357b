"""The `JobStore` protocol: the only interface the rest of sfmc-actions uses to persist and claim jobs.

Stores persist and claim; policy (retry delays, batch sizes, rate limits) lives above them (procrastinate's
job manager over its connectors). Two implementations side by side, held to one contract test suite:
`SqliteJobStore` (one file, one machine, the default) and `PostgresJobStore` (any number of machines).

Guarantees every implementation keeps:
- `enqueue` returns only after its jobs are committed ("accepted means durable", DESIGN.md).
- A claim is a lease: a job is claimed by one worker at a time; when the lease expires (the worker died or
  hung) the job is claimable again, and the late worker's outcome is dropped (`ApplyResult.lost`).
- `claim_batch` returns jobs sharing one batch key, taking the key of the oldest available job first, so
  every key is served in age order and none starves behind a busy one.
- Delivery is at least once: a worker killed between SFMC's answer and `apply_outcomes` leaves the job to be
  sent again when its lease expires. For actions where that matters (journey entries), the worker marks the
  jobs first (`mark_sending`, committed before the request goes out); a later claim of a job whose mark was
  never cleared by an outcome returns it with `Job.in_doubt` set, and it stays in doubt until an outcome is
  recorded. (Duplicates arriving at ingest are de-duplicated at enqueue.)
- A journey entry's last send keeps its time window and SFMC's answer (`entries`), so a worker can ask SFMC what
  became of an entry in doubt; a job with an `order_key` is never sent while an earlier job of the same key is
  still waiting (`row_order`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from pydantic import SecretStr

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.queue.history import History, SourceCount
from sfmc_actions.queue.jobs import (
    ApplyResult,
    DoubtRetry,
    EnqueueResult,
    EntryAnswer,
    EntryKey,
    EntrySend,
    Job,
    JobOutcome,
    NewJob,
    QueueStats,
    RejectedEvent,
    SharedToken,
)
from sfmc_actions.queue.purge import PurgeCutoffs, PurgeReport

# Re-routes one dead (or rejected) job's raw event with the current subscriptions (router.py supplies it).
Reroute = Callable[[Job], Sequence[NewJob]]


class JourneyEntries(Protocol):
    """Journey entries that settle their own doubt. `mark_sending` starts a send's window (`sent_from`)."""

    async def record(self, owner: str, answers: Sequence[EntryAnswer]) -> int:
        """Keep SFMC's requestId and eventInstanceId of delivered entries `owner` still holds (before recording
        their outcome: a job in doubt that has an eventInstanceId was queued by SFMC). Returns how many."""

    async def retry_in_doubt(self, owner: str, retries: Sequence[DoubtRetry]) -> ApplyResult:
        """Entries whose answer was lost: pending again at their time, in doubt (the next claim says so), their
        send's window closed at `sent_until`; for jobs `owner` still holds, in one transaction."""

    async def sends(self, job_ids: Collection[int]) -> dict[int, EntrySend]:
        """The last send of each job (window and SFMC's answer), by id."""

    async def instance_ids(self, batch_key: str, start: datetime, end: datetime) -> set[str]:
        """The eventInstanceIds SFMC answered for the key's entries whose send started between `start` and `end`."""

    async def recent_keys(self, tenant: str, since: datetime) -> list[EntryKey]:
        """Batch keys of the tenant with entries SFMC answered for, sent since `since`."""

    async def dead_letter(self, errored: Sequence[tuple[str, str]]) -> list[int]:
        """Delivered entries SFMC later reported errored, as (eventInstanceId, reason): dead with that reason and
        their payload as the row sent. Returns the ids of the jobs made dead (none twice)."""


class RowOrder(Protocol):
    """Jobs with an `order_key` (the row they write or delete) reach SFMC in the order they were accepted."""

    async def waiting_before(self, owner: str, job_ids: Collection[int], busy: datetime) -> dict[int, datetime]:
        """Of `owner`'s jobs, those with an earlier job of the same order key still waiting (pending, or claimed
        by another owner), with when to look again: the latest such job's next attempt, or `busy` for one that
        is claimed (being sent)."""

    async def postpone(self, owner: str, until: Mapping[int, datetime]) -> int:
        """Give `owner`'s claims back unattempted, each available at its time. Returns how many."""


class JobStore(Protocol):
    @property
    def entries(self) -> JourneyEntries: ...

    @property
    def row_order(self) -> RowOrder: ...

    @property
    def history(self) -> History:
        """Delivery history: counters per minute, error groups, the store's size (history.py)."""

    async def migrate(self) -> None:
        """Apply the schema migrations not yet applied. Idempotent; safe when processes start together."""

    async def enqueue(
        self,
        jobs: Sequence[NewJob],
        rejected: Sequence[RejectedEvent] = (),
        *,
        timeout: float | None = None,
        source: SourceCount | None = None,
    ) -> EnqueueResult:
        """Store routed jobs and rejected events in one transaction, committed when this returns. `source`: what
        the request did (accepted, rejected, unmatched), counted in the history in the same transaction.

        Jobs with `deduplicated` set are skipped (and counted) when a job with the same (destination, subscription,
        message_id) was enqueued within the store's de-duplication window. With `timeout`, a transaction that
        cannot commit within that many seconds (a locked or slow store) is rolled back and StoreBusyError
        raised: then nothing of it was stored, ever (bounded_write.py). Ingest writes do not wait behind the
        workers' claims.
        """

    async def check_writable(self, timeout: float) -> None:
        """Commit a write that does not grow the store (one probe row, rewritten), within `timeout` seconds.

        StoreBusyError when it cannot commit in time (locked, slow); StoreError or the driver's error when it
        cannot write at all (read-only, full disk). What /readyz and start-up ask."""

    async def claim_batch(
        self,
        owner: str,
        lease_seconds: float,
        max_jobs: int,
        batch_key: str | None = None,
        destination: str = DEFAULT_DESTINATION,
    ) -> list[Job]:
        """Lease up to `max_jobs` available jobs of `destination` sharing one batch key (`batch_key`, or the key
        of the destination's oldest available job) to `owner`; each claim counts one attempt. Empty when nothing
        is available. Claims are per destination, so one destination's backlog never delays another's claims.

        A job a previous holder marked as sending and never recorded comes back with `in_doubt` set."""

    async def mark_sending(self, owner: str, job_ids: Collection[int]) -> set[int]:
        """Record, committed before this returns, that `owner` is about to send these jobs' requests (and when:
        the start of their send's window, `EntrySend.sent_from`).

        Returns the ids marked: those `owner` still holds (send only those). An outcome or a release by id
        clears the mark; a mark never cleared makes the next claim return the job in doubt."""

    async def apply_outcomes(self, owner: str, outcomes: Sequence[tuple[int, JobOutcome]]) -> ApplyResult:
        """Record each job's outcome in one transaction, only for jobs `owner` still holds. Clears the jobs'
        sending marks; JobDelivered and JobDead also settle a job in doubt (a JobRetry does not: it says only that this
        attempt failed, not whether an earlier one reached SFMC)."""

    async def release(self, owner: str, job_ids: Collection[int] | None = None) -> int:
        """Give `owner`'s claims (all, or `job_ids`) back unattempted, available now. Returns how many.

        Jobs named in `job_ids` are ones SFMC did not process (never sent, or refused with a 429): their
        sending marks are cleared. Releasing all (`job_ids=None`, at shutdown, after sends may have been cut
        short) keeps them in doubt, as if the worker had died. Either way a job in doubt stays in doubt."""

    async def get_job(self, job_id: int) -> Job | None: ...

    async def list_dead(
        self,
        subscription: str | None = None,
        since: datetime | None = None,
        reason_contains: str | None = None,
        limit: int = 100,
        *,
        include_rejected: bool = False,
        include_replayed: bool = False,
        destination: str | None = None,
    ) -> list[Job]:
        """Dead (and optionally rejected) jobs, newest first; `since` compares with when they died. With
        `destination`, only that destination's (rejected events belong to none)."""

    async def replay(self, job_ids: Collection[int], reroute: Reroute) -> EnqueueResult:
        """Atomically mark dead/rejected jobs replayed and enqueue what `reroute` makes of each.

        One transaction, so a crash cannot lose a replayed event nor replay it twice; their de-duplication
        keys are cleared first, so a journey entry that died can enter once now. Jobs already replayed or
        not dead/rejected are skipped. `reroute` runs inside the transaction: keep it pure and quick.
        """

    async def mark_entered(self, job_ids: Collection[int]) -> list[int]:
        """Resolve journey entries held in doubt as entered, without sending: an operator saw the contact in the
        journey. Only dead letters whose reason starts "in doubt" and not replayed are changed, to delivered
        (counted delivered in the history, without a latency). Returns the ids changed."""

    async def stats(self, last_errors: int = 10) -> QueueStats: ...

    async def waiting(self) -> QueueStats:
        """The waiting jobs only (pending and claimed), per subscription and state: read through the claim index,
        so it costs what is waiting, not what is stored (the console's overview). No errors listed."""

    async def wait_for_work(self, timeout: float) -> bool:
        """Sleep until new work may be available (True) or `timeout` seconds passed (False)."""

    async def purge(self, cutoffs: PurgeCutoffs) -> PurgeReport | None:
        """One purge round (purge.py): delivered jobs, dead letters, rejected events and history older than the
        cut-offs, and expired de-duplication keys, a chunk per transaction; then the space goes back to the
        filesystem. None when another process is purging this store right now (PostgreSQL)."""

    async def get_shared_token(self, tenant_key: str) -> SharedToken | None: ...

    async def put_shared_token(self, tenant_key: str, token: SecretStr | str, expires_at: datetime) -> None: ...

    def refresh_lock(self, tenant_key: str, timeout: float = 30.0) -> AbstractAsyncContextManager[None]:
        """Held by at most one worker (of any process) per tenant: the one that refreshes the token.

        Raises TimeoutError after `timeout` seconds of waiting.
        """

    async def close(self) -> None: ...
