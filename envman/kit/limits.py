"""Running work concurrently with an upper bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from envman.kit.errors import EnvmanError

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


async def gather_all(works: Iterable[Awaitable[_R]], error: type[EnvmanError]) -> list[_R]:
    """Every result of `works`, run concurrently to the end; when some fail with an expected
    error, one `error` naming every failure (never a partial result, nothing left running)."""
    results = await asyncio.gather(*works, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures:
        if not isinstance(failure, EnvmanError):
            raise failure
    if failures:
        raise error("\n".join(str(f) for f in failures))
    return [r for r in results if not isinstance(r, BaseException)]
