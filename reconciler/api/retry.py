"""When and how long to wait before trying a call again: back-off with jitter inside a time budget."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from reconciler.settings import BUDGET_ENV, DEFAULT_RETRY_BUDGET

Jitter = Callable[[float], float]

BACKOFF_MAX: Final = 30.0
"""Longest single back-off pause; past it a retry loop only waits longer, not smarter."""
CONNECT_BUDGET: Final = 15.0
"""Budget for "connection refused" and friends: a host that refuses for 15 s is down or the URL is wrong,
and the user should hear so now, not after the full budget."""


def equal_jitter(delay: float) -> float:
    """Half the delay plus a random half, so that clients that failed together do not retry together."""
    return delay / 2 + random.uniform(0, delay / 2)


@dataclass
class RetryBudget:
    """The retry state of one call: pauses taken so far against the time allowed."""

    budget: float = DEFAULT_RETRY_BUDGET
    backoff_base: float = 0.5
    max_retries: int | None = None
    jitter: Jitter = equal_jitter
    retries: int = 0
    waited: float = field(default=0.0)

    def next_pause(self, retry_after: float | None, *, connect: bool = False) -> float | None:
        """The pause before the next try, or None when the budget (or ``max_retries``) is spent."""
        if self.max_retries is not None and self.retries >= self.max_retries:
            return None
        if retry_after is not None:
            delay = retry_after
        else:
            delay = self.jitter(min(self.backoff_base * 2**self.retries, BACKOFF_MAX))
        budget = min(self.budget, CONNECT_BUDGET) if connect else self.budget
        if self.waited + delay > budget:
            return None
        return delay

    def took(self, delay: float) -> None:
        """Count a pause that was taken."""
        self.retries += 1
        self.waited += delay

    def summary(self) -> str:
        """``gave up after 4 retries over 12.5 s (INFOMANIAK_RETRY_BUDGET=300)``, or "" with no retry."""
        if not self.retries:
            return ""
        plural = "retry" if self.retries == 1 else "retries"
        spent = f"{self.waited:.1f} s ({BUDGET_ENV}={self.budget:g})"
        return f"gave up after {self.retries} {plural} over {spent}"


__all__ = ["BACKOFF_MAX", "CONNECT_BUDGET", "Jitter", "RetryBudget", "equal_jitter"]
