"""When to try a failed delivery again, and when to give up: a pure value, table-tested.

Modelled on procrastinate's `RetryStrategy` (a frozen value computing the next delay) and rudder-server's
router, which aborts a job only when BOTH its failure count and its retry time window are exhausted: a burst
of quick failures does not kill a young job, and an old job still gets its minimum number of tries. The age
limit defaults to 4 hours, how long Segment's Centrifuge keeps retrying an event.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sfmc_actions.queue.jobs import JobDead, JobRetry


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff: delay n = min(max_delay, base_delay * factor ** (n - 1)), then reduced
    by up to `jitter` of itself at random (so workers that failed together do not retry together), and never
    shorter than the `Retry-After` SFMC sent."""

    base_delay: float = 1.0  # seconds before the 2nd attempt (before jitter)
    factor: float = 2.0
    max_delay: float = 600.0
    jitter: float = 0.5  # fraction of the delay taken off at random: 0 = none, 0.5 = between d/2 and d
    max_attempts: int = 10
    max_age: float = 4 * 3600.0  # seconds since the job was created

    def __post_init__(self) -> None:
        problems = []
        if not self.base_delay > 0:
            problems.append(f"base_delay must be > 0 seconds, got {self.base_delay}")
        if not self.factor >= 1:
            problems.append(f"factor must be >= 1 (1 = constant delay), got {self.factor}")
        if not self.max_delay >= self.base_delay:
            problems.append(f"max_delay ({self.max_delay}) must be >= base_delay ({self.base_delay})")
        if not 0 <= self.jitter < 1:
            problems.append(f"jitter must be in [0, 1), got {self.jitter}")
        if self.max_attempts < 1:
            problems.append(f"max_attempts must be >= 1, got {self.max_attempts}")
        if not self.max_age >= 0:
            problems.append(f"max_age must be >= 0 seconds, got {self.max_age}")
        if problems:
            raise ValueError("invalid retry policy: " + "; ".join(problems))

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the `attempts`-th failed attempt (1-based), before any Retry-After."""
        if attempts < 1:
            raise ValueError(f"attempts counts failed attempts and starts at 1, got {attempts}")
        # Cap the exponent first: factor ** attempts overflows a float long before attempts gets large.
        exponent = min(attempts - 1, 1024)
        try:
            raw = self.base_delay * self.factor**exponent
        except OverflowError:
            raw = self.max_delay
        capped = min(self.max_delay, raw)
        return capped * (1 - self.jitter * rand())

    def gives_up(self, attempts: int, age: float) -> bool:
        """Dead only when both the attempt limit and the age limit are passed."""
        return attempts >= self.max_attempts and age >= self.max_age

    def on_failure(
        self,
        *,
        attempts: int,
        created_at: datetime,
        now: datetime,
        error: str,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> JobRetry | JobDead:
        """The outcome of a job's failed attempt: retry at a time, or dead with the last error."""
        age = (now - created_at).total_seconds()
        if self.gives_up(attempts, age):
            return JobDead(f"gave up after {attempts} attempts over {_duration(age)}; last error: {error}")
        wait = self.delay(attempts, rand)
        if retry_after is not None and retry_after > wait:
            wait = retry_after  # SFMC asked for this much: sooner would only burn an attempt on a 429
        return JobRetry(at=now + timedelta(seconds=wait), error=error)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
