"""Client-side rate limit: a hard ceiling of N requests in any sliding window, shared by the process.

The API allows about 60 requests a minute per token. A token bucket with a full burst lets 60 requests out in
the first second and then one a second, so request 61 lands in the same minute as the first 60 and gets a 429.
A sliding window never does that: request N+1 waits until the first of the last N is a window old.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

import anyio

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

WINDOW_SECONDS: Final = 60.0


class SlidingWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds; ``limit`` 0 or less turns it off.

    A request is counted at the clock time its ``acquire`` returns, and only when the window ending then
    holds fewer than ``limit`` requests, so the ceiling holds however many callers wait at once (the check
    and the count happen with no await between them). The limiter holds no lock tied to an event loop, so
    one instance may serve every run of a long-lived process.
    """

    def __init__(
        self,
        limit: float,
        *,
        window: float = WINDOW_SECONDS,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if window <= 0:
            raise ValueError(f"window must be positive, got {window}")
        if 0 < limit < 1:
            raise ValueError(f"a rate limit below 1 request per window cannot send anything, got {limit}")
        self.limit = int(limit) if limit > 0 else 0
        self.window = window
        self._clock = clock
        self._sleep = sleep
        # Times of the requests counted in the current window, oldest first.
        self._sent: deque[float] = deque()
        self._hold_until = 0.0
        self.waits = 0
        """How many acquisitions had to wait (for progress lines and tests)."""
        # When each acquisition that is asleep now wakes (clock time), so a progress line can say so.
        self._wakes: list[float] = []

    @property
    def enabled(self) -> bool:
        """False when the limit is 0 or less, which sends without waiting."""
        return self.limit > 0

    def wait_left(self) -> float | None:
        """Seconds until the first request waiting for the limit (or a 429's hold) may go; None when none
        waits. Read by progress lines while the wait goes on: ``waits`` counts a wait only once it is over.
        """
        now = self._clock()
        if self._wakes:
            return max(min(self._wakes) - now, 0.0)
        if now < self._hold_until:
            return self._hold_until - now
        return None

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (after a 429 everyone waits, not only the caller)."""
        self._hold_until = max(self._hold_until, self._clock() + max(seconds, 0.0))

    async def acquire(self) -> None:
        """Wait until one more request fits the window, then count it as sent now."""
        if not self.enabled:
            return
        waited = False
        while True:
            now = self._clock()
            # The server's window is (now - window, now]: a request exactly one window old no longer counts.
            while self._sent and now - self._sent[0] >= self.window:
                self._sent.popleft()
            if now < self._hold_until:
                delay = self._hold_until - now
            elif len(self._sent) < self.limit:
                self._sent.append(now)
                self.waits += waited
                return
            else:
                delay = self._sent[0] + self.window - now
            waited = True
            wake = now + delay
            self._wakes.append(wake)
            try:
                # Several waiters may wake together; each checks again and only one takes a freed place.
                await self._sleep(delay)
            finally:
                self._wakes.remove(wake)


_shared: dict[tuple[str, str, float], SlidingWindowLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(token: str, base_url: str, limit: float) -> SlidingWindowLimiter:
    """The one limiter of this process for a token on an API (the server counts per token).

    Every client built for the same token and URL shares it, so two sessions of one MCP server, or a plan
    and the apply that follows, cannot together exceed the limit. The token is kept only as a hash.
    """
    key = (hashlib.sha256(token.encode()).hexdigest(), base_url.rstrip("/"), float(limit))
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = SlidingWindowLimiter(limit)
        return limiter


__all__ = ["WINDOW_SECONDS", "Clock", "Sleep", "SlidingWindowLimiter", "shared_limiter"]
