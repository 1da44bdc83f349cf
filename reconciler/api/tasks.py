"""Concurrent API reads that stop together: the first failure cancels the rest and waits for them.

``asyncio.gather`` returns on the first exception but leaves its other awaitables running; the session then
closes the HTTP client under them and ``asyncio.run`` tears them down mid-connect, which left
``coroutine 'connect_tcp.<locals>.try_connect' was never awaited`` warnings after an unreachable API's error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

_T = TypeVar("_T")


async def gather_all(awaitables: Iterable[Awaitable[_T]]) -> list[_T]:
    """The results in order, like ``asyncio.gather``; on a failure the others are cancelled and awaited."""
    tasks = [asyncio.ensure_future(item) for item in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


__all__ = ["gather_all"]
