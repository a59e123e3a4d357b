"""Parse -> route -> enqueue for a list of raw events: the one path the HTTP API, the webhook and `send` share.

An event that breaks the Segment Spec is not dropped: it becomes a `RejectedEvent` (reason + raw body) stored
in the same transaction as the jobs of its batch, and is reported back by its index. Segment's own Tracking
API answers 200 to such events and shows them in its debugger (segment.com/docs/connections/sources/catalog/
libraries/server/http-api, "Errors"); here the store's rejected rows play the debugger's part.

Per event this costs one `parse_event` and one `Router.route` call; the store sees one `enqueue` per batch
(one transaction), which is what makes 10,000 events/s possible on a small machine.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from sfmc_actions.config import DEFAULT_DESTINATION
from sfmc_actions.errors import InvalidEventError
from sfmc_actions.events import MAX_DEPTH, parse_event
from sfmc_actions.js.values import json_text
from sfmc_actions.observe.live import LIVE, LiveEvents
from sfmc_actions.observe.metrics import METRICS
from sfmc_actions.queue.history import SourceCount
from sfmc_actions.queue.jobs import NewJob, RejectedEvent
from sfmc_actions.queue.store import JobStore

log = logging.getLogger("sfmc_actions.ingest")

# Transport fields, not event data: analytics.js copies the write key into every event it sends, and it must
# not travel on into stored events, dead-letter views or mappings that read the whole event.
TRANSPORT_FIELDS = ("writeKey",)


class RoutedEvent(Protocol):
    """What a router answers for one event (route.router.Routed has this shape)."""

    @property
    def jobs(self) -> list[NewJob]: ...

    @property
    def unmatched(self) -> bool: ...


class EventRouter(Protocol):
    """The router, seen from ingest (stages do not import each other: wiring passes route.router.Router)."""

    def route(self, event: dict[str, Any]) -> RoutedEvent: ...


@dataclass(frozen=True)
class EventProblem:
    """One event that failed the Segment Spec checks. `index`: its position in the request, or its line."""

    index: int
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass
class IngestBatch:
    """Events parsed and routed, not yet stored.

    `keep_rejected` and `list_problems` bound the work one request can cause (None: no bound, for files): at
    most that many rejected events are stored, and listed in `problems`; the rest are only counted
    (`unstored`, and `rejections` counts them all).
    """

    jobs: list[NewJob] = field(default_factory=list)
    rejected: list[RejectedEvent] = field(default_factory=list)
    problems: list[EventProblem] = field(default_factory=list)
    events: int = 0  # inputs seen, good and bad
    unmatched: int = 0
    origin: str | None = None  # a file name: stored reasons then start "FILE:LINE: "
    keep_rejected: int | None = None
    list_problems: int | None = None
    rejections: int = 0  # inputs rejected, stored or not
    unstored: int = 0  # rejected inputs counted but not stored (over keep_rejected)
    # What routing did with each input, for the console's live events once committed: (event, matched, rejected)
    seen: list[tuple[Any, tuple[str, ...], str | None]] = field(default_factory=list)

    def reject(
        self, index: int, error_field: str, message: str, raw_body: str, event: dict[str, Any] | None = None
    ) -> None:
        """Keep an input that cannot be routed, with its reason (the store's `rejected` state)."""
        self.events += 1
        self.rejections += 1
        self.seen.append(
            (event if event is not None else raw_body, (), f"{error_field}: {message}" if error_field else message)
        )
        if self.list_problems is None or len(self.problems) < self.list_problems:
            self.problems.append(EventProblem(index, error_field, message))
        if self.keep_rejected is not None and len(self.rejected) >= self.keep_rejected:
            self.unstored += 1
            return
        reason = f"{error_field}: {message}" if error_field else message
        if self.origin is not None:
            reason = f"{self.origin}:{index}: {reason}"
        message_id = event.get("messageId") if event is not None else None
        self.rejected.append(
            RejectedEvent(reason, raw_body, message_id if isinstance(message_id, str) else None, event)
        )


@dataclass(frozen=True)
class IngestResult:
    """What one batch became once committed."""

    events: int  # inputs received
    accepted: int  # inputs that passed the Spec checks (and were routed)
    rejected: int  # inputs rejected (stored as rejected, but for `unstored` of them)
    jobs: int  # jobs stored, including jobs stored dead (mapping or payload validation failed)
    dead: int  # of those, stored dead
    unmatched: int  # accepted events no subscription matched (counted, not stored)
    duplicates: int  # journey entries skipped: same subscription + messageId inside the window
    problems: tuple[EventProblem, ...] = ()
    unstored: int = 0  # rejected inputs not stored: over the request's bound, only counted


def without_transport_fields(item: object) -> object:
    if isinstance(item, dict) and "writeKey" in item:
        return {k: v for k, v in item.items() if k not in TRANSPORT_FIELDS}
    return item


def stamp_times(event: dict[str, Any], received_at: datetime) -> None:
    """Segment's servers set `receivedAt`, and a missing `timestamp` from it, corrected for the device's clock
    skew when the library sent `originalTimestamp` and `sentAt`: receivedAt - (sentAt - originalTimestamp)
    (Segment Spec, Common Fields: Timestamps). Mappings such as `$.timestamp` then find a value."""
    event["receivedAt"] = iso_millis(received_at)
    if event.get("timestamp") is not None:
        return
    timestamp = received_at
    original, sent = parse_iso(event.get("originalTimestamp")), parse_iso(event.get("sentAt"))
    if original is not None and sent is not None:
        # Dates far apart (year 1 and year 9999) overflow datetime: such a skew is no clock's, so the
        # timestamp is receivedAt, as Segment's servers do with an implausible skew.
        try:
            timestamp = received_at - (sent - original)
            event["timestamp"] = iso_millis(timestamp)
            return
        except (OverflowError, ValueError):
            timestamp = received_at
    event["timestamp"] = iso_millis(timestamp)


def iso_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def raw_text(item: object) -> str:
    """A rejected input as stored: its JSON text, cut at the nesting limit when it is deeper than the store's
    encoder goes (orjson decodes 1,024 levels but encodes 254)."""
    try:
        return orjson.dumps(item).decode()
    except TypeError:  # too deep, a lone surrogate or an integer beyond 64 bits: json_text writes the last two
        return json_text(cut_nesting(item, MAX_DEPTH), default=repr)


CUT = f"(cut: nested deeper than {MAX_DEPTH} levels)"


def cut_nesting(value: object, levels: int) -> object:
    """A copy of `value` with objects and arrays below `levels` levels replaced by a note saying so."""
    if not isinstance(value, dict | list):
        return value
    if levels <= 0:
        return CUT
    if isinstance(value, dict):
        return {key: cut_nesting(item, levels - 1) for key, item in value.items()}
    return [cut_nesting(item, levels - 1) for item in value]


def storable(item: object) -> dict[str, Any] | None:
    """A rejected input's event as the store keeps it (None for a non-object), within the encoder's depth."""
    if not isinstance(item, dict):
        return None
    try:
        orjson.dumps(item)
    except TypeError:
        cut = cut_nesting(item, MAX_DEPTH)
        assert isinstance(cut, dict)
        return cut
    return item


class Ingest:
    """Owns parse -> route -> enqueue. One per process, shared by every request (it holds no request state)."""

    def __init__(
        self, router: EventRouter, store: JobStore, store_timeout: float | None = None, live: LiveEvents = LIVE
    ) -> None:
        self.router = router
        self.store = store
        self.store_timeout = store_timeout  # None: wait for the store as long as it takes (files)
        self.live = live

    def add(
        self,
        batch: IngestBatch,
        index: int,
        item: object,
        raw: bytes | None = None,
        received_at: datetime | None = None,
    ) -> None:
        """Parse and route one raw event into `batch`; a Spec failure is kept as rejected.

        `raw`: the input's original text (a file's line), stored as is when the event is rejected.
        `received_at`: when the API received it; stamps `receivedAt` and a missing `timestamp`, as Segment does.
        """
        item = without_transport_fields(item)
        try:
            event = parse_event(item)  # type: ignore[arg-type]  # parse_event checks the type itself
            if received_at is not None:
                stamp_times(event.to_dict(), received_at)
        except InvalidEventError as exc:
            self._reject(batch, index, item, raw, exc.field, exc.reason)
            return
        try:
            routed = self.router.route(event.to_dict())
        except Exception as exc:  # a bug must cost this event only, never its batch: kept, to replay once fixed
            log.error("could not route an event (%s): kept as rejected", type(exc).__name__, exc_info=True)
            reason = (
                f"could not be routed: an internal error ({type(exc).__name__}) in sfmc-actions, not a problem "
                "with the event; it is kept as rejected: replay it with `sfmc-actions dead-letters replay "
                "--include-rejected` once fixed"
            )
            self._reject(batch, index, item, raw, "", reason)
            return
        batch.events += 1
        batch.jobs.extend(routed.jobs)
        batch.unmatched += routed.unmatched
        batch.seen.append((event.to_dict(), tuple(_matched_name(job) for job in routed.jobs), None))

    @staticmethod
    def _reject(batch: IngestBatch, index: int, item: object, raw: bytes | None, where: str, reason: str) -> None:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n") if raw is not None else raw_text(item)
        batch.reject(index, where, reason, text, storable(item))

    def prepare(
        self,
        items: Sequence[object],
        first_index: int = 0,
        received_at: datetime | None = None,
        batch: IngestBatch | None = None,
    ) -> IngestBatch:
        batch = batch if batch is not None else IngestBatch()
        for offset, item in enumerate(items):
            self.add(batch, first_index + offset, item, received_at=received_at)
        return batch

    async def commit(self, batch: IngestBatch, source: str) -> IngestResult:
        """Store the batch in one transaction; returns only once it is committed (accepted means durable).

        `source` names where the events came from (the write key's source, "webhook", the file) in metrics.
        """
        accepted = batch.events - batch.rejections
        counted = SourceCount(source, accepted, batch.rejections, batch.unmatched)  # history, with the jobs
        stored = await self.store.enqueue(batch.jobs, batch.rejected, timeout=self.store_timeout, source=counted)
        dead = sum(1 for job in batch.jobs if job.dead_reason is not None)
        METRICS.record_ingest(source, accepted, batch.rejections, batch.unmatched, batch.unstored)
        for event, matched, rejected in batch.seen[-self.live.size :]:  # committed: now they were received
            self.live.add(source, event, matched, rejected)
        return IngestResult(
            events=batch.events,
            accepted=accepted,
            rejected=batch.rejections,
            jobs=stored.accepted,
            dead=dead,
            unmatched=batch.unmatched,
            duplicates=stored.duplicates,
            problems=tuple(batch.problems),
            unstored=batch.unstored,
        )

    async def submit(self, items: Sequence[object], source: str, first_index: int = 0) -> IngestResult:
        return await self.commit(self.prepare(items, first_index), source)


def _matched_name(job: NewJob) -> str:
    """How live events name a matched subscription: `destination/name` when not the top-level form's destination
    (two destinations may each have an `orders`)."""
    name = job.subscription or ""
    return name if job.destination == DEFAULT_DESTINATION else f"{job.destination}/{name}"
