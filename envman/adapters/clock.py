"""`SystemClock`: the `Clock` port on `time.monotonic` and `asyncio.sleep`."""

from __future__ import annotations

import asyncio
import time


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
