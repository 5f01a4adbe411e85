"""Running work concurrently with an upper bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


async def each_limited(items: Iterable[_T], limit: int, work: Callable[[_T], Awaitable[_R]]) -> list[_R]:
    """`work` for every item, at most `limit` at once, started in order; results in order."""
    gate = asyncio.Semaphore(max(limit, 1))

    async def one(item: _T) -> _R:
        async with gate:
            return await work(item)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(item)) for item in items]
    return [task.result() for task in tasks]
