"""What one purge round removes (`store.purge`) and what it reports. The housekeeping of serve and every worker
(service/housekeeping.py) runs a round every minute; only one process purges at a time (PostgreSQL: an advisory
lock per schema; SQLite: the write lock, taken per chunk, so two rounds interleave without deleting a row twice).

Each chunk is its own short transaction (`PURGE_CHUNK` rows), so an ingest request waits at most one chunk behind
a purge. Afterwards the space goes back: SQLite `PRAGMA incremental_vacuum` (in steps), PostgreSQL `VACUUM` of
the purged tables (autovacuum may be off).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

PURGE_CHUNK = 500  # rows per transaction: bench/retention.py measures what that costs an ingest request
VACUUM_PAGES = 2000  # SQLite pages given back per incremental_vacuum step (8 MB at 4 KB pages)


@dataclass(frozen=True)
class PurgeCutoffs:
    """Everything older than these goes. `entries_before` keeps delivered journey entries (apiEvent) longer when
    doubt settling still reads them (deliver/worker_journeys.py: instance_ids, recent_keys)."""

    delivered_before: datetime
    entries_before: datetime
    dead_before: datetime
    rejected_before: datetime
    history_before: datetime

    @classmethod
    def from_retention(
        cls, now: datetime, delivered: float, dead: float, rejected: float, history: float, entries_kept: float
    ) -> PurgeCutoffs:
        """Cut-offs `now` minus each retention (seconds); journey entries at least `entries_kept`."""

        def ago(seconds: float) -> datetime:
            return now - timedelta(seconds=seconds)

        return cls(ago(delivered), ago(max(delivered, entries_kept)), ago(dead), ago(rejected), ago(history))


@dataclass
class PurgeReport:
    delivered: int = 0
    dead: int = 0
    rejected: int = 0
    dedupe_keys: int = 0
    history_rows: int = 0
    # Expired dead letters by (subscription, reason): each is counted in a metric and logged, never silent.
    expired: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: float = 0.0
    longest_chunk: float = 0.0  # seconds: the longest a writer waited behind this round
    pages_returned: int = 0  # SQLite: free pages given back to the filesystem

    @property
    def removed(self) -> int:
        return self.delivered + self.dead + self.rejected
