"""Per-source rate limits on the ingest API: a token bucket of events per write key, answered 429 + Retry-After.

Off unless a source sets `rate_limit: {events_per_second, burst}`. Segment's own API answers 429 to a source
over its limit, and its SDKs back off and resend (analytics-python retries 429 with backoff; analytics.js
honours Retry-After), so nothing is lost: the events wait on the sender's side.

A request of n events is let in when the bucket holds min(n, burst) tokens; it then takes all n, so the bucket
may go below zero and a batch bigger than the burst delays the requests after it rather than never passing.
Buckets are per process: with several `serve` processes behind a balancer, each enforces the limit it is given.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sfmc_actions.config import RateLimit, Source


@dataclass
class _Bucket:
    rate: float  # tokens per second
    capacity: int
    tokens: float
    at: float  # when `tokens` was measured


class RateLimits:
    def __init__(self, sources: Iterable[Source], clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        self._buckets = {
            source.name: _bucket(source.rate_limit, now) for source in sources if source.rate_limit is not None
        }

    def __bool__(self) -> bool:
        return bool(self._buckets)

    def retry_after(self, source: str, events: int) -> int | None:
        """Take `events` tokens from the source's bucket: None when let in, else whole seconds to wait."""
        bucket = self._buckets.get(source)
        if bucket is None:
            return None
        now = self._clock()
        bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.at) * bucket.rate)
        bucket.at = now
        needed = min(max(events, 1), bucket.capacity)
        if bucket.tokens >= needed:
            bucket.tokens -= events
            return None
        return max(1, math.ceil((needed - bucket.tokens) / bucket.rate))

    def would_wait(self, source: str) -> int | None:
        """Whether the source cannot send even one event now (checked before the body is decoded)."""
        bucket = self._buckets.get(source)
        if bucket is None:
            return None
        tokens = min(bucket.capacity, bucket.tokens + (self._clock() - bucket.at) * bucket.rate)
        return None if tokens >= 1 else max(1, math.ceil((1 - tokens) / bucket.rate))


def _bucket(limit: RateLimit, now: float) -> _Bucket:
    return _Bucket(limit.events_per_second, limit.capacity, float(limit.capacity), now)
