"""The progress line: on a terminal only, after the delay, redrawn in place and erased at the end."""

from __future__ import annotations

import asyncio
import io

import pytest

from reconciler.cli.progress import progress_line, wanted

pytestmark = pytest.mark.anyio


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_only_a_terminal_without_json_wants_it() -> None:
    assert wanted(Terminal())
    assert not wanted(Terminal(), output_format="json")
    assert not wanted(io.StringIO())


async def test_the_line_shows_after_the_delay_and_is_erased() -> None:
    stream = Terminal()
    counter = iter(range(1000))
    async with progress_line(
        lambda: f"scopes {next(counter)}/9", label="plan", enabled=True, stream=stream, delay=0.01, every=0.01
    ):
        await asyncio.sleep(0.2)
    written = stream.getvalue()
    assert written.startswith("\r\033[Kplan: scopes 0/9")
    assert "plan: scopes 1/9" in written
    assert written.endswith("\r\033[K")
    assert "\n" not in written


async def test_short_work_or_a_disabled_line_prints_nothing() -> None:
    for enabled, delay in ((True, 5.0), (False, 0.0)):
        stream = Terminal()
        async with progress_line(lambda: "x", label="plan", enabled=enabled, stream=stream, delay=delay):
            await asyncio.sleep(0.02)
        assert stream.getvalue() == ""
