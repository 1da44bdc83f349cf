"""The progress line: after a couple of seconds of talking to the API, one line on stderr, kept up to date.

Only on a terminal, and never with ``--format json`` (whatever reads that output wants nothing else). The
line is redrawn in place and erased at the end, so the plan that follows prints as if it was never there.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import TextIO

DELAY_SECONDS = 2.0
EVERY_SECONDS = 0.5
_ERASE = "\r\033[K"


def wanted(stream: TextIO, *, output_format: str = "text") -> bool:
    """A progress line helps a person at a terminal; a pipe, a log or a JSON reader gets none."""
    isatty = getattr(stream, "isatty", None)
    return output_format != "json" and callable(isatty) and bool(isatty())


@asynccontextmanager
async def progress_line(
    text: Callable[[], str],
    *,
    label: str,
    enabled: bool,
    stream: TextIO | None = None,
    delay: float = DELAY_SECONDS,
    every: float = EVERY_SECONDS,
) -> AsyncIterator[None]:
    """Show ``label: text()`` on ``stream`` while the body runs longer than ``delay`` seconds."""
    import asyncio  # not at module level: the parser, and so --help, never pays for it

    if not enabled:
        yield
        return
    out = stream if stream is not None else sys.stderr
    shown = False

    async def tick() -> None:
        nonlocal shown
        await asyncio.sleep(delay)
        while True:
            out.write(f"{_ERASE}{label}: {text()}")
            out.flush()
            shown = True
            await asyncio.sleep(every)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        if shown:
            out.write(_ERASE)
            out.flush()
