"""A virtual clock for rate-limit and retry tests: time moves only when someone sleeps, never for real."""

from __future__ import annotations

import anyio.lowlevel


class FakeClock:
    """``clock()`` and ``await clock.sleep(s)`` on virtual time.

    A sleeper wakes at its deadline: the clock jumps forward to it (never back), after yielding so that
    concurrent callers interleave as they would on a real event loop. Shared by a client and the in-process
    simulator, it makes a minutes-long rate-limited run take milliseconds.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        deadline = self.now + max(seconds, 0.0)
        await anyio.lowlevel.checkpoint()
        self.now = max(self.now, deadline)


class GatedSleep:
    """A sleep that lasts until the test opens it, on a fake clock: the test looks in mid-wait."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.asleep = anyio.Event()
        self.gate = anyio.Event()

    async def __call__(self, seconds: float) -> None:
        self.asleep.set()
        await self.gate.wait()
        await self.clock.sleep(seconds)


def max_in_window(times: list[float], window: float = 60.0) -> int:
    """The most events any half-open window of ``window`` seconds holds (the server's counting)."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
