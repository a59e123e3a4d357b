"""Per-tenant limits: how many SFMC requests and batches may be in flight, adapted to SFMC's answers (AIMD).

SFMC rate-limits per tenant and answers 429 with a Retry-After (errorcode 50100) or "temporarily blocked"
(50200, none) (sfmc-rest-api.md §9). Hammering on would only burn retries, so a tenant's window behaves like
TCP congestion control:

* additive increase: each answered request adds 1/window, i.e. one more slot per window of successes, up to
  `delivery.tenant_concurrency`;
* multiplicative decrease: a 429 halves the window (at most once per `cooldown`: the concurrent requests of one
  burst all see the same 429 and must not halve it to 1 between them);
* pause: a 429 also stops new requests and claims until its Retry-After (or a doubling pause when SFMC gave
  none); a refused credential pauses the tenant for `auth_pause` (the settings are wrong: nothing would pass).

Two counters share the window: requests (the HTTP transport holds one per call) and batches (a worker holds one
from claim to outcome, so no job is claimed, and its lease started, while the tenant cannot send). A request
slot can be shared: the worker takes one (`request(shared=True)`) before it marks a journey entry as sending, and
the transport's call inside uses that slot, so an entry is marked only once its request can go out. The window
is per process; N processes on one tenant allow N times as much (SFMC's limits are per tenant, so N x
tenant_concurrency should stay under them).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

Clock = Callable[[], float]
# The limiters (by id) whose request slot the current task holds: tasks it starts inherit it (contextvars).
_HOLDING: ContextVar[frozenset[int]] = ContextVar("sfmc_actions_request_slots", default=frozenset())


class TenantLimiter:
    def __init__(
        self,
        tenant: str,
        max_concurrency: int,
        *,
        decrease_factor: float = 0.5,
        cooldown: float = 1.0,
        first_pause: float = 1.0,
        max_pause: float = 60.0,
        clock: Clock = time.monotonic,
        on_change: Callable[[float], None] | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if not 0 < decrease_factor < 1:
            raise ValueError(f"decrease_factor must be in (0, 1), got {decrease_factor}")
        self.tenant = tenant
        self.max_concurrency = max_concurrency
        self.window = float(max_concurrency)
        self.paused_until = 0.0
        self.requests = 0  # in flight
        self.batches = 0
        self._decrease_factor = decrease_factor
        self._cooldown = cooldown
        self._first_pause = first_pause
        self._max_pause = max_pause
        self._next_pause = first_pause
        self._last_decrease = -math.inf
        self._clock = clock
        self._on_change = on_change
        self._cond: asyncio.Condition | None = None
        self._wakers: set[asyncio.Task[None]] = set()
        if on_change is not None:
            on_change(self.window)

    def __repr__(self) -> str:
        return f"TenantLimiter({self.tenant!r}, window={self.window:.2f}, requests={self.requests})"

    @property
    def limit(self) -> int:
        return max(1, math.floor(self.window))

    def paused_for(self) -> float:
        """Seconds until the tenant may send again (0 when it may now)."""
        return max(0.0, self.paused_until - self._clock())

    # -- feedback ----------------------------------------------------------------------------------------------
    def on_success(self) -> None:
        self._next_pause = self._first_pause
        if self.window < self.max_concurrency:
            self._set_window(min(float(self.max_concurrency), self.window + 1.0 / self.window))

    def on_throttle(self, retry_after: float | None) -> None:
        """SFMC answered 429 (or 503 with a Retry-After): shrink the window and pause the tenant."""
        now = self._clock()
        if now - self._last_decrease >= self._cooldown:
            self._last_decrease = now
            self._set_window(max(1.0, self.window * self._decrease_factor))
        if retry_after is None:
            retry_after = self._next_pause
            self._next_pause = min(self._max_pause, self._next_pause * 2)
        self._pause_until(now + retry_after)

    def pause(self, seconds: float) -> None:
        """Hold every new request and claim for `seconds` (refused credentials)."""
        self._pause_until(self._clock() + seconds)

    def _pause_until(self, until: float) -> None:
        # No wake-up needed: waiters re-check the pause whenever they wake (a slot freed, or their own timer).
        self.paused_until = max(self.paused_until, until)

    def _set_window(self, window: float) -> None:
        grew = math.floor(window) > math.floor(self.window)
        self.window = window
        if self._on_change is not None:
            self._on_change(window)
        if grew:
            self._notify()

    # -- slots -------------------------------------------------------------------------------------------------
    @asynccontextmanager
    async def request(self, *, shared: bool = False) -> AsyncIterator[None]:
        """One request slot. Inside a `shared` slot (held by this task or one that started it) that same slot:
        the requests made within use it instead of waiting for another."""
        holding = _HOLDING.get()
        if id(self) in holding:
            yield
            return
        await self._acquire("requests")
        token = _HOLDING.set(holding | {id(self)}) if shared else None
        try:
            yield
        finally:
            if token is not None:
                _HOLDING.reset(token)
            await self._release("requests")

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        await self._acquire("batches")
        try:
            yield
        finally:
            await self._release("batches")

    async def _acquire(self, kind: str) -> None:
        cond = self._condition()
        async with cond:
            while True:
                wait = self.paused_for()
                if wait <= 0 and getattr(self, kind) < self.limit:
                    setattr(self, kind, getattr(self, kind) + 1)
                    return
                # A pause ends by time, not by a notify: wake at its end (or on any change before).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(cond.wait(), wait if wait > 0 else None)

    async def _release(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) - 1)
        cond = self._condition()
        async with cond:
            cond.notify_all()

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    def _notify(self) -> None:
        cond = self._cond
        if cond is None:
            return

        async def wake() -> None:
            async with cond:
                cond.notify_all()

        # Feedback calls are sync (the transport reports each answer); the notify runs when the loop is free.
        try:
            task = asyncio.get_running_loop().create_task(wake())
        except RuntimeError:  # no running loop (a sync test): nobody can be waiting
            return
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)
