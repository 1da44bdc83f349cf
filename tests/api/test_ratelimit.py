"""SlidingWindowLimiter on a virtual clock: no window ever holds more than N requests, however many wait."""

from __future__ import annotations

import random

import anyio
import anyio.lowlevel
import pytest

from reconciler.api import SlidingWindowLimiter, shared_limiter
from tests.api.helpers import FakeClock, GatedSleep, max_in_window

pytestmark = pytest.mark.anyio


def make_limiter(clock: FakeClock, limit: float = 60.0) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(limit, clock=clock, sleep=clock.sleep)


def test_max_in_window_counts_like_the_server():
    assert max_in_window([0.0, 59.9, 60.0]) == 2  # at 60.0 the request at 0.0 has left the window
    assert max_in_window([0.0, 1.0, 2.0, 100.0]) == 3
    assert max_in_window([]) == 0


async def test_a_full_window_goes_through_then_request_n_plus_1_waits_a_whole_window():
    clock = FakeClock()
    limiter = make_limiter(clock, 60)
    start = clock.now
    for _ in range(60):
        await limiter.acquire()
    assert clock.sleeps == []
    await limiter.acquire()
    # A token bucket would let request 61 out one second later, inside the same minute: a 429.
    assert clock.now - start == pytest.approx(60.0)
    assert limiter.waits == 1


async def test_sequential_requests_never_put_more_than_n_in_any_window():
    clock = FakeClock()
    limiter = make_limiter(clock, 10)
    sent: list[float] = []
    rng = random.Random(7)
    for _ in range(200):
        await limiter.acquire()
        sent.append(clock.now)
        clock.now += rng.choice([0.0, 0.1, 1.0, 5.0])  # the caller's own work between requests
    assert max_in_window(sent) == 10
    assert len(sent) == 200


@pytest.mark.parametrize("limit", [1, 7, 60])
async def test_concurrent_callers_fill_the_window_and_never_exceed_it(limit):
    clock = FakeClock()
    limiter = make_limiter(clock, limit)
    sent: list[float] = []

    async def caller(count: int) -> None:
        for _ in range(count):
            await limiter.acquire()
            sent.append(clock.now)
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        for _ in range(12):
            tg.start_soon(caller, 15)
    assert len(sent) == 180
    assert max_in_window(sent) == limit
    # Filled, not merely obeyed: every full window after the first sends exactly `limit`.
    windows = -(-180 // limit)
    assert max(sent) - min(sent) < windows * 60.0


async def test_hold_stops_everyone_until_it_ends():
    clock = FakeClock()
    limiter = make_limiter(clock, 60)
    start = clock.now
    limiter.hold(7.5)
    sent: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        sent.append(clock.now)

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(one)
    assert min(sent) - start == pytest.approx(7.5)


async def test_cancelled_waiter_takes_no_place_in_the_window():
    clock = FakeClock()
    blocked = anyio.Event()
    stuck = [True]

    async def sleep(seconds: float) -> None:
        if stuck[0]:  # a waiter that never wakes, so that it can be cancelled mid-wait
            blocked.set()
            await anyio.Event().wait()
        await clock.sleep(seconds)

    limiter = SlidingWindowLimiter(1, clock=clock, sleep=sleep)
    await limiter.acquire()
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.acquire)
        await blocked.wait()
        tg.cancel_scope.cancel()
    stuck[0] = False
    clock.now += 60.0
    await limiter.acquire()  # the cancelled caller took nothing: this one passes at once
    assert clock.sleeps == []


@pytest.mark.parametrize("limit", [0, -1])
async def test_zero_or_negative_limit_turns_the_limiter_off(limit):
    clock = FakeClock()
    limiter = make_limiter(clock, limit)
    assert not limiter.enabled
    for _ in range(1000):
        await limiter.acquire()
    assert clock.sleeps == []


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="below 1"):
        SlidingWindowLimiter(0.5)


def test_one_limiter_per_token_and_url_in_the_process():
    first = shared_limiter("tok-a", "https://api.example.test", 60)
    assert shared_limiter("tok-a", "https://api.example.test/", 60) is first
    assert shared_limiter("tok-b", "https://api.example.test", 60) is not first
    assert shared_limiter("tok-a", "http://127.0.0.1:9", 60) is not first


async def test_wait_left_counts_down_while_a_request_waits_for_the_window():
    clock = FakeClock()
    sleep = GatedSleep(clock)
    limiter = SlidingWindowLimiter(2, clock=clock, sleep=sleep)
    assert limiter.wait_left() is None
    await limiter.acquire()
    await limiter.acquire()
    clock.now += 19.0
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.acquire)
        await sleep.asleep.wait()
        assert limiter.wait_left() == pytest.approx(41.0)
        assert limiter.waits == 0  # counted only once the wait is over
        clock.now += 10.0
        assert limiter.wait_left() == pytest.approx(31.0)
        sleep.gate.set()
    assert limiter.wait_left() is None and limiter.waits == 1


async def test_wait_left_covers_a_hold_and_forgets_a_cancelled_waiter():
    clock = FakeClock()
    sleep = GatedSleep(clock)
    limiter = SlidingWindowLimiter(1, clock=clock, sleep=sleep)
    limiter.hold(7.5)  # a 429's Retry-After: the client itself sleeps, nobody is in acquire yet
    assert limiter.wait_left() == pytest.approx(7.5)
    clock.now += 8.0
    assert limiter.wait_left() is None
    await limiter.acquire()
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.acquire)
        await sleep.asleep.wait()
        assert limiter.wait_left() == pytest.approx(60.0)
        tg.cancel_scope.cancel()
    assert limiter.wait_left() is None
