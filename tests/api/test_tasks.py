"""gather_all: the first failure cancels the other reads and waits for them before it is raised."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.api.tasks import gather_all

pytestmark = pytest.mark.anyio


async def test_results_keep_their_order() -> None:
    async def value(n: int) -> int:
        await asyncio.sleep(0.001 * (3 - n))
        return n

    assert await gather_all(value(n) for n in range(3)) == [0, 1, 2]


async def test_a_failure_cancels_and_awaits_the_others() -> None:
    finished: list[str] = []

    async def slow() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise
        return "never"

    async def fails() -> str:
        await asyncio.sleep(0)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await gather_all([slow(), slow(), fails()])
    # Both siblings ran their cancellation before the error reached the caller: none is left pending.
    assert finished == ["cancelled", "cancelled"]
