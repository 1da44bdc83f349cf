"""Client-side token bucket that keeps the reconciler under the API's per-token rate limit."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """Async token bucket: ``rate_per_minute`` steady rate, up to ``burst`` requests at once."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: float | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.rate_per_minute = rate_per_minute
        # A burst equal to the per-minute rate lets a short run go at full speed; the bucket only
        # bites once a run has used up a whole minute's allowance.
        self.burst = float(rate_per_minute if burst is None else burst)
        if self.enabled and self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()

    @property
    def enabled(self) -> bool:
        """True unless the rate is zero or negative, which turns the limiter off."""
        return self.rate_per_minute > 0

    async def acquire(self) -> None:
        """Wait until one request may be sent, then take its token."""
        if not self.enabled:
            return
        rate = self.rate_per_minute / 60.0
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * rate)
        self._last = now
        # Take the token before awaiting: the balance may go negative, which books a slot in the
        # future. There is no await between reading and writing the balance, so concurrent callers
        # queue up behind each other without a lock (and without tying the bucket to one event loop).
        self._tokens -= 1
        if self._tokens >= 0:
            return
        try:
            await self._sleep(-self._tokens / rate)
        except BaseException:
            # A cancelled waiter never sends its request, so it gives its slot back.
            self._tokens += 1
            raise


__all__ = ["TokenBucket"]
