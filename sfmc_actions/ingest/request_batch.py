"""One HTTP request's events, parsed and routed with bounded work: one bad event costs only itself.

A batch's answer lists its first `ERRORS_LISTED` rejected events (`rejected` counts them all), and the store
keeps its first `REJECTED_KEPT` (the rest are counted, in the answer's `rejected_not_stored` and in
sfmc_actions_events_rejected_unstored_total): a request full of junk cannot fill the store nor the answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sfmc_actions.ingest.request_body import event_size_problem
from sfmc_actions.ingest.service import Ingest, IngestBatch, raw_text, storable, without_transport_fields

ERRORS_LISTED = 100
REJECTED_KEPT = 100


def request_batch() -> IngestBatch:
    return IngestBatch(keep_rejected=REJECTED_KEPT, list_problems=ERRORS_LISTED)


def prepare_events(ingest: Ingest, events: list[Any], body_size: int, *, stamp: bool = True) -> IngestBatch:
    """Check each event (32 KB, Segment Spec), route the good ones; `stamp`: set receivedAt (the Tracking API)."""
    batch = request_batch()
    received_at = datetime.now(UTC) if stamp else None
    for index, event in enumerate(events):
        problem = event_size_problem(event, body_size)
        if problem is not None:
            # Kept whole (the request's 500 KB bound what it can add), without the write key, replayable.
            kept = without_transport_fields(event)
            batch.reject(index, "", problem, raw_text(kept), storable(kept))
        else:
            ingest.add(batch, index, event, received_at=received_at)
    return batch
