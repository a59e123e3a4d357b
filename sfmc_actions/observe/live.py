"""Live events: the last events this process received and what routing did with each (the console's view).

Ingest records every event it routes (observe is a leaf, so ingest may import it; the console reads it). A
bounded deque: appending costs about as much as a list append, and old entries fall off by themselves, so the
hot path pays nothing that grows. Entries hold the parsed event as ingest kept it (no copy): routing does not
change an event after it is routed.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LIVE_EVENTS = 200  # what the console shows (issue 10)


@dataclass(frozen=True)
class LiveEvent:
    seq: int  # increases by one per event received: the console asks for those after the last it saw
    received_at: datetime
    source: str
    event: Any  # the parsed event (a rejected input: what was received, when it was JSON)
    matched: tuple[str, ...] = ()  # subscriptions whose trigger matched
    rejected: str | None = None  # why it was rejected at ingest

    @property
    def outcome(self) -> str:
        if self.rejected is not None:
            return "rejected"
        return "matched" if self.matched else "unmatched"

    def to_dict(self) -> dict[str, Any]:
        event = self.event if isinstance(self.event, dict) else {}
        return {
            "seq": self.seq,
            "received_at": self.received_at.isoformat(),
            "source": self.source,
            "type": event.get("type"),
            "event": event.get("event") or event.get("name"),
            "message_id": event.get("messageId"),
            "user_id": event.get("userId"),
            "outcome": self.outcome,
            "matched": list(self.matched),
            "rejected": self.rejected,
            "raw": self.event,
        }


class LiveEvents:
    """A ring buffer of the last `size` events received, newest last."""

    def __init__(self, size: int = LIVE_EVENTS) -> None:
        self.size = size
        self._events: deque[LiveEvent] = deque(maxlen=size)
        self._seq = itertools.count(1)

    def add(self, source: str, event: Any, matched: tuple[str, ...] = (), rejected: str | None = None) -> None:
        self._events.append(LiveEvent(next(self._seq), datetime.now(UTC), source, event, matched, rejected))

    def newest_first(self, after: int = 0) -> list[LiveEvent]:
        return [e for e in reversed(self._events) if e.seq > after]

    def find(self, seq: int) -> LiveEvent | None:
        return next((e for e in self._events if e.seq == seq), None)


LIVE = LiveEvents()  # this process's, as METRICS is
