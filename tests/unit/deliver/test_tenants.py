"""The tenant limiter: AIMD arithmetic on a fake clock, slots and pauses on the real loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from sfmc_actions.deliver.tenants import TenantLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(max_concurrency: int = 8, **kwargs: object) -> tuple[TenantLimiter, FakeClock]:
    clock = FakeClock()
    return TenantLimiter("t", max_concurrency, clock=clock, **kwargs), clock  # type: ignore[arg-type]


def test_starts_at_the_configured_concurrency() -> None:
    lim, _ = limiter(8)
    assert lim.window == 8.0 and lim.limit == 8 and lim.paused_for() == 0


def test_a_429_halves_the_window_and_pauses_for_retry_after() -> None:
    lim, clock = limiter(8)
    lim.on_throttle(5.0)
    assert lim.limit == 4
    assert lim.paused_for() == pytest.approx(5.0)
    clock.now += 5.0
    assert lim.paused_for() == 0


def test_a_burst_of_429s_halves_once_per_cooldown() -> None:
    lim, clock = limiter(8, cooldown=1.0)
    for _ in range(6):  # the concurrent requests of one burst
        lim.on_throttle(1.0)
    assert lim.limit == 4
    clock.now += 1.0
    lim.on_throttle(1.0)
    assert lim.limit == 2
    clock.now += 1.0
    lim.on_throttle(1.0)
    clock.now += 1.0
    lim.on_throttle(1.0)
    assert lim.window == 1.0 and lim.limit == 1  # never below one


def test_successes_grow_the_window_by_one_per_window_of_successes() -> None:
    lim, _ = limiter(8)
    lim.on_throttle(None)
    assert lim.limit == 4
    for _ in range(4):
        lim.on_success()
    assert 4.9 < lim.window < 5.0  # +1/window each: 4 -> 4.25 -> 4.49 -> 4.71 -> 4.92
    for _ in range(200):
        lim.on_success()
    assert lim.window == 8.0  # capped at the configured concurrency


def test_additive_increase_is_gradual() -> None:
    lim, clock = limiter(16)
    clock.now += 10
    lim.on_throttle(None)
    clock.now += 10
    lim.on_throttle(None)  # 16 -> 8 -> 4
    assert lim.limit == 4
    windows = []
    for _ in range(12):
        lim.on_success()
        windows.append(lim.limit)
    assert windows[-1] <= 6  # a dozen successes recover about two slots, not all twelve
    assert windows == sorted(windows)


def test_without_retry_after_the_pause_doubles_and_resets_on_success() -> None:
    lim, clock = limiter(4, first_pause=1.0, max_pause=4.0)
    pauses = []
    for _ in range(4):
        lim.on_throttle(None)
        pauses.append(round(lim.paused_for(), 3))
        clock.now += lim.paused_for()
    assert pauses == [1.0, 2.0, 4.0, 4.0]
    lim.on_success()
    lim.on_throttle(None)
    assert lim.paused_for() == pytest.approx(1.0)


def test_a_pause_never_shortens_a_longer_one() -> None:
    lim, _ = limiter(4)
    lim.pause(30)
    lim.on_throttle(1.0)
    assert lim.paused_for() == pytest.approx(30)


def test_on_change_reports_the_window() -> None:
    seen: list[float] = []
    lim = TenantLimiter("t", 4, on_change=seen.append)
    lim.on_throttle(0.0)
    assert seen == [4.0, 2.0]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        TenantLimiter("t", 0)
    with pytest.raises(ValueError, match="decrease_factor"):
        TenantLimiter("t", 2, decrease_factor=1.5)


async def test_request_slots_hold_concurrency_to_the_window() -> None:
    lim = TenantLimiter("t", 2)
    running = peak = 0

    async def call() -> None:
        nonlocal running, peak
        async with lim.request():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(call() for _ in range(10)))
    assert peak == 2 and lim.requests == 0


async def test_batches_and_requests_are_counted_apart() -> None:
    lim = TenantLimiter("t", 1)
    async with lim.batch():
        async with asyncio.timeout(1):
            async with lim.request():  # a batch holds its slot while its requests take theirs
                assert (lim.batches, lim.requests) == (1, 1)


async def test_a_pause_holds_new_slots_until_it_ends() -> None:
    lim = TenantLimiter("t", 4)
    lim.on_throttle(0.2)
    started = time.monotonic()
    async with lim.request():
        waited = time.monotonic() - started
    assert 0.15 <= waited < 1.0


async def test_a_grown_window_wakes_a_waiter() -> None:
    lim = TenantLimiter("t", 2, cooldown=0)
    lim.on_throttle(0)  # window 1
    assert lim.limit == 1
    async with lim.request():
        waiter = asyncio.create_task(_take(lim))
        await asyncio.sleep(0.02)
        assert not waiter.done()
        for _ in range(3):
            lim.on_success()  # 1 -> 2: a second slot opens while the first is held
        await asyncio.wait_for(waiter, 1)


async def _take(lim: TenantLimiter) -> None:
    async with lim.request():
        pass


async def test_requests_inside_a_shared_slot_use_it() -> None:
    lim = TenantLimiter("t", 1)
    async with lim.request(shared=True):
        # The call inside (the transport), even from a task started inside, takes no second slot: with a window
        # of 1 it would otherwise wait for ever on the slot its own caller holds.
        await asyncio.wait_for(asyncio.gather(_take(lim), _take(lim)), 1)
        assert lim.requests == 1
    assert lim.requests == 0
    async with lim.request():  # not shared: another task's request waits for a slot of its own
        other = asyncio.create_task(_take(lim))
        await asyncio.sleep(0.02)
        assert not other.done()
    await asyncio.wait_for(other, 1)
