"""TokenBucket, driven by a fake clock: no real sleeping and no timed assertions."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from reconciler.api import TokenBucket


class FakeClock:
    """A clock that only moves when the bucket sleeps (or the test says so)."""

    def __init__(self, *, advance: bool = True) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.advance = advance
        self.block = False

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.block:
            await anyio.Event().wait()
        if self.advance:
            self.now += seconds
        # Yield like a real sleep so concurrent callers interleave.
        await anyio.lowlevel.checkpoint()


def make_bucket(clock: FakeClock, rate: float = 60.0, burst: float | None = None) -> TokenBucket:
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)


@pytest.mark.anyio
async def test_burst_goes_through_without_waiting():
    clock = FakeClock()
    bucket = make_bucket(clock, rate=60.0)
    for _ in range(60):
        await bucket.acquire()
    assert clock.sleeps == []


@pytest.mark.anyio
async def test_waits_one_interval_per_request_once_the_burst_is_spent():
    clock = FakeClock()
    bucket = make_bucket(clock, rate=30.0, burst=2)
    for _ in range(5):
        await bucket.acquire()
    # 30/min is one token every 2 s: two free, then three waits of 2 s.
    assert clock.sleeps == pytest.approx([2.0, 2.0, 2.0])
    assert clock.now == pytest.approx(6.0)


@pytest.mark.anyio
async def test_tokens_refill_with_time_up_to_the_burst():
    clock = FakeClock()
    bucket = make_bucket(clock, rate=60.0, burst=3)
    for _ in range(3):
        await bucket.acquire()
    clock.now += 100.0  # a long pause refills to the burst, not beyond
    for _ in range(3):
        await bucket.acquire()
    assert clock.sleeps == []
    await bucket.acquire()
    assert clock.sleeps == pytest.approx([1.0])


@pytest.mark.anyio
async def test_concurrent_callers_queue_behind_each_other():
    clock = FakeClock(advance=False)
    bucket = make_bucket(clock, rate=60.0, burst=1)
    await bucket.acquire()
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(bucket.acquire)
    assert sorted(clock.sleeps) == pytest.approx([1.0, 2.0, 3.0])


@pytest.mark.anyio
async def test_cancelled_waiter_gives_its_slot_back():
    clock = FakeClock()
    bucket = make_bucket(clock, rate=60.0, burst=1)
    await bucket.acquire()
    clock.block = True
    async with anyio.create_task_group() as tg:
        tg.start_soon(bucket.acquire)
        while not clock.sleeps:
            await anyio.lowlevel.checkpoint()
        tg.cancel_scope.cancel()
    clock.block = False
    clock.sleeps.clear()
    await bucket.acquire()
    assert clock.sleeps == pytest.approx([1.0])


@pytest.mark.anyio
@pytest.mark.parametrize("rate", [0, -1])
async def test_zero_or_negative_rate_disables_the_limiter(rate):
    clock = FakeClock()
    bucket = make_bucket(clock, rate=rate)
    assert not bucket.enabled
    for _ in range(1000):
        await bucket.acquire()
    assert clock.sleeps == []


def test_default_burst_equals_the_per_minute_rate():
    assert TokenBucket(60.0).burst == 60.0
    assert TokenBucket(60.0, burst=5).burst == 5.0


def test_burst_below_one_is_a_bug():
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(60.0, burst=0.5)
