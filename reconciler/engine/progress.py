"""Counters of a run's long work, which a front may show as a progress line; the engine prints nothing.

The planner counts the scopes it fetches; the client counts requests and the rate limiter its waits. A front
reads them through :func:`progress_text` while the run goes on (see ``reconciler/cli/progress.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.api.ratelimit import WINDOW_SECONDS
from reconciler.settings import RATE_ENV

if TYPE_CHECKING:
    from reconciler.engine.session import Session


@dataclass
class Progress:
    """Scopes fetched so far and scopes to fetch, across every plan of the run (apply re-plans)."""

    scopes_total: int = 0
    scopes_done: int = 0


def progress_text(session: Session) -> str:
    """One line: scopes fetched / total, requests sent, waits for the rate limit."""
    progress = session.progress
    try:
        client = session.client
    except RuntimeError:  # not open yet, or closed
        return f"scopes {progress.scopes_done}/{progress.scopes_total}"
    limiter = client.limiter
    text = f"scopes {progress.scopes_done}/{progress.scopes_total} fetched · {client.call_count} requests"
    left = limiter.wait_left()
    if left is not None:
        # Without this a minute-long wait looks like a hang: the counters above stand still meanwhile.
        per = "min" if limiter.window == WINDOW_SECONDS else f"{limiter.window:g} s"
        limit = f"{limiter.limit} requests/{per}, {RATE_ENV}" if limiter.enabled else "the API answered 429"
        text += f" · waiting {math.ceil(left)} s for the rate limit ({limit})"
    elif limiter.waits:
        text += f" · {limiter.waits} waits for the rate limit"
    return text
