"""Delivery history: counters per minute that outlive the jobs they count, error groups, and the store's size.

What is counted, and where (both dialects, migration 0031_history):
- Job outcomes are counted by triggers on `jobs`, in the transaction that records them, so every state-changing
  store method counts exactly once and a kill -9 loses no count: delivered (with the accept-to-delivered
  latency in `LATENCY_BOUNDS_MS` buckets), retried (claimed -> pending with the attempt kept: a retry, and a
  journey entry retried in doubt), dead (a delivered journey entry SFMC later reported errored moves from
  delivered to dead), in doubt (a job entering doubt), invalid (stored dead at enqueue: mapping or payload).
  Releases and postponements give a claim back unattempted and count nothing (throttled is counted apart).
- Ingest counts per source (accepted, rejected, unmatched) are written by `enqueue` in its own transaction.
- Throttled jobs, SFMC requests and token requests are counted in memory (`HistoryBuffer`) and flushed at
  least every `FLUSH_SECONDS`: a kill -9 loses at most those seconds of them. Requests and tokens belong to a
  tenant, not to one subscription: they are kept on the destination's own row (`subscription` "").
- Every dead letter and retry leaves a row in an inbox (same transaction); `fold_errors` turns the inbox into
  error groups (normalized error, count, first/last seen, 3 newest samples) and deletes what it folded, in one
  transaction, so nothing is grouped twice.

Rows are keyed by `(destination, subscription)`; `destination_of` is the one place that says which destination
a job belongs to (the job's own; DEFAULT_DESTINATION for rows without one).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sfmc_actions.config import DEFAULT_DESTINATION

FLUSH_SECONDS = 10.0  # the longest a buffered count waits in memory
# Upper bounds (ms) of the accept-to-delivered latency buckets; the last one stands for +Inf. The SQL of the
# triggers (schema/*/0031_history.sql) spells the same list.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    50,
    100,
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    30_000,
    60_000,
    300_000,
    900_000,
    3_600_000,
    14_400_000,
    86_400_000,
    math.inf,
)
INF_BUCKET_MS = 1_000_000_000_000  # how the store spells the +Inf bucket (an integer column)
SAMPLES_KEPT = 3
OUTCOME_FIELDS = ("invalid", "delivered", "retried", "throttled", "dead", "in_doubt")
REQUEST_FIELDS = ("sfmc_requests", "token_requests")


def destination_of(destination: str | None) -> str:
    """The destination a job's row counts for: its own (migration 0030), else the top-level form's."""
    return destination or DEFAULT_DESTINATION


def bucket_bound(le_ms: float) -> float:
    """A stored bucket bound as a number of ms (the store's +Inf sentinel as math.inf)."""
    return math.inf if le_ms >= INF_BUCKET_MS else float(le_ms)


def percentile(buckets: Mapping[float, int], q: float) -> float | None:
    """The q-quantile (0 < q <= 1) in ms from histogram buckets (upper bound in ms -> count), as Prometheus's
    histogram_quantile: linear within the bucket holding the rank; the +Inf bucket answers the bound below it.
    None when the buckets are empty."""
    if not 0 < q <= 1:
        raise ValueError(f"percentile q must be in (0, 1], not {q}")
    total = sum(buckets.values())
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    lower = 0.0
    for bound in sorted(buckets):
        count = buckets[bound]
        if count and seen + count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - seen) / count
        seen += count
        if not math.isinf(bound):
            lower = bound
    return lower


class _Quantiles:
    latency_buckets: dict[float, int]

    @property
    def p50(self) -> float | None:
        return percentile(self.latency_buckets, 0.50)

    @property
    def p95(self) -> float | None:
        return percentile(self.latency_buckets, 0.95)

    @property
    def p99(self) -> float | None:
        return percentile(self.latency_buckets, 0.99)


@dataclass
class SubscriptionTotals(_Quantiles):
    """Counts of one (destination, subscription) over a window. `subscription` "" is the destination's own row
    (SFMC and token requests, which belong to the tenant rather than to one subscription)."""

    destination: str
    subscription: str
    invalid: int = 0
    delivered: int = 0
    retried: int = 0
    throttled: int = 0
    dead: int = 0
    in_doubt: int = 0
    sfmc_requests: int = 0
    token_requests: int = 0
    latency_buckets: dict[float, int] = field(default_factory=dict)  # upper bound in ms -> count

    @classmethod
    def from_sums(cls, destination: str, subscription: str, sums: Sequence[Any]) -> SubscriptionTotals:
        """From the sums of OUTCOME_FIELDS then REQUEST_FIELDS, in that order (NULL as 0)."""
        totals = cls(destination, subscription)
        for name, value in zip((*OUTCOME_FIELDS, *REQUEST_FIELDS), sums, strict=True):
            setattr(totals, name, int(value or 0))
        return totals


@dataclass(frozen=True)
class SourceTotals:
    source: str
    accepted: int = 0
    rejected: int = 0
    unmatched: int = 0


@dataclass
class SeriesPoint(_Quantiles):
    """One step of a chart: what happened in [at, at + step)."""

    at: datetime
    delivered: int = 0
    dead: int = 0
    in_doubt: int = 0
    latency_buckets: dict[float, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorSample:
    """One occurrence of an error: the event as received, the request sent to SFMC (secrets masked; None for our
    own validation errors) and SFMC's response (None when it gave none)."""

    job_id: int
    at: datetime
    error: str  # the error as it was, before normalizing
    event: Any
    request: Any
    response: Any


@dataclass(frozen=True)
class ErrorGroup:
    destination: str
    subscription: str
    error: str  # normalized: row-specific values taken out
    count: int
    first_seen: datetime
    last_seen: datetime
    samples: tuple[ErrorSample, ...]  # newest first, at most SAMPLES_KEPT

    @property
    def id(self) -> str:
        """Names the group in URLs and in `store.history.group_jobs`."""
        return group_id(self.destination, self.subscription, self.error)


@dataclass(frozen=True)
class StoreFacts:
    store_bytes: int  # SQLite file + WAL, or the PostgreSQL relations of this schema
    oldest_job_at: datetime | None  # creation time of the oldest job still stored
    oldest_waiting_at: datetime | None  # creation time of the oldest job pending or claimed


@dataclass(frozen=True)
class SourceCount:
    """What one ingest request (or file) did, written by `enqueue` with its jobs."""

    source: str
    accepted: int = 0
    rejected: int = 0
    unmatched: int = 0


class History(Protocol):
    """`store.history`: the counters and error groups, read back over a window."""

    async def totals(self, since: datetime, until: datetime | None = None) -> list[SubscriptionTotals]: ...

    async def source_totals(self, since: datetime, until: datetime | None = None) -> list[SourceTotals]: ...

    async def series(self, since: datetime, until: datetime, step_seconds: int) -> list[SeriesPoint]: ...

    async def error_groups(self, since: datetime, until: datetime | None = None) -> list[ErrorGroup]: ...

    async def group_jobs(self, group: str, limit: int = 100) -> list[int]:
        """Ids of the dead letters of an error group (`ErrorGroup.id`), newest first."""

    async def store_facts(self) -> StoreFacts: ...

    def count(self, destination: str, subscription: str, what: str, n: int = 1) -> None:
        """Buffer `n` of `what` (throttled, sfmc_requests, token_requests) for the next flush."""

    async def flush(self) -> None:
        """Write the buffered counts (at least every FLUSH_SECONDS; at stop)."""

    async def fold_errors(self) -> int:
        """Fold the error inbox into error groups. Returns how many occurrences were folded."""


# -- error normalization ------------------------------------------------------------------------------------------
# Values that differ per row or request, taken out so one cause is one group: quoted values, UUIDs, e-mail
# addresses, long hex ids, numbers. The errorcode SFMC gives and the HTTP status it answered are kept (they name
# the cause).
_QUOTED = re.compile(r"""(["'])(?:(?!\1).){0,200}\1""")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_HEX = re.compile(r"\b[0-9a-fA-F]{16,}\b")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_KEPT_CODES = re.compile(r"(errorcode\W{0,3}|\bSFMC(?: answered)? |\bHTTP )(\d+)", re.IGNORECASE)
MAX_ERROR = 300


def normalize_error(error: str) -> str:
    """The error with row-specific values replaced by placeholders (SFMC's errorcode and HTTP status kept)."""
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(match.group(2))
        return f"{match.group(1)}\x00"  # a marker with no digit in it, put back in order below

    text = _KEPT_CODES.sub(keep_code, error.strip())
    text = _QUOTED.sub(lambda m: f"{m.group(1)}…{m.group(1)}", text)
    text = _UUID.sub("<uuid>", text)
    text = _EMAIL.sub("<email>", text)
    text = _HEX.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    for code in codes:
        text = text.replace("\x00", code, 1)
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def newest_per_group(groups: Sequence[str], kept: int = SAMPLES_KEPT) -> set[int]:
    """Indexes of the last `kept` occurrences of each group in `groups` (oldest first): the only ones of a fold
    worth storing as samples, since only the newest are kept."""
    seen: Counter[str] = Counter()
    chosen = set()
    for index in range(len(groups) - 1, -1, -1):
        if seen[groups[index]] < kept:
            seen[groups[index]] += 1
            chosen.add(index)
    return chosen


def group_id(destination: str, subscription: str, error: str) -> str:
    return hashlib.sha256(f"{destination}\x1f{subscription}\x1f{error}".encode()).hexdigest()[:16]


# -- buffered counts ------------------------------------------------------------------------------------------------
class HistoryBuffer:
    """Counts kept in memory until the next flush: (minute, destination, subscription, what) -> n. Thread-safe
    (the SFMC transport counts from the event loop, flushes run in the store's thread)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[int, str, str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, minute: int, destination: str, subscription: str, what: str, n: int = 1) -> None:
        if what not in ("throttled", *REQUEST_FIELDS):
            raise ValueError(f"history counts throttled, sfmc_requests or token_requests in memory, not {what!r}")
        if n:
            with self._lock:
                self._counts[(minute, destination, subscription, what)] += n

    def take(self) -> list[tuple[int, str, str, str, int]]:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return [(*key, n) for key, n in counts.items()]

    def put_back(self, rows: Iterable[tuple[int, str, str, str, int]]) -> None:
        """A flush that failed keeps its counts for the next one."""
        with self._lock:
            for minute, destination, subscription, what, n in rows:
                self._counts[(minute, destination, subscription, what)] += n


def minute_of(at: datetime) -> int:
    return int(at.timestamp()) // 60 * 60


# -- reports ----------------------------------------------------------------------------------------------------------
def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def subscription_report(
    totals: Sequence[SubscriptionTotals], waiting: Mapping[tuple[str, str], int] | None = None
) -> list[dict[str, Any]]:
    """Per (destination, subscription) over a window: the counts and p50/p95/p99 latency (ms), plus the live queue
    depth (`waiting`: pending + claimed jobs by (destination, subscription)). What `status --json` prints under
    `subscriptions` and what the console's overview shows: both call this one function."""
    waiting = waiting or {}
    rows = []
    seen = set()
    for t in sorted(totals, key=lambda t: (t.destination, t.subscription)):
        seen.add((t.destination, t.subscription))
        rows.append(
            {
                "destination": t.destination,
                "subscription": t.subscription,
                **{name: getattr(t, name) for name in (*OUTCOME_FIELDS, *REQUEST_FIELDS)},
                "p50_ms": _ms(t.p50),
                "p95_ms": _ms(t.p95),
                "p99_ms": _ms(t.p99),
                "waiting": waiting.get((t.destination, t.subscription), 0) if t.subscription else 0,
            }
        )
    for (destination, subscription), count in sorted(waiting.items()):
        if (destination, subscription) not in seen and count:
            empty = SubscriptionTotals(destination, subscription)
            rows.append(subscription_report([empty], {(destination, subscription): count})[0])
    return rows


def source_report(totals: Sequence[SourceTotals]) -> list[dict[str, Any]]:
    return [
        {"source": t.source, "accepted": t.accepted, "rejected": t.rejected, "unmatched": t.unmatched}
        for t in sorted(totals, key=lambda t: t.source)
    ]
