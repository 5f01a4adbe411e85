"""The work queue of one cluster's controllers, as client-go's: items keyed by object, each
queued at most once however many events name it, and items due later held in a timer heap.

`get` blocks until an item is queued or a timer falls due; with neither, the worker sleeps
without waking (an idle cluster does no work at all).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

Item = tuple[str, str, str]
"""(controller: the store key of the kind it syncs, namespace, name)."""

Clock = Callable[[], float]


class WorkQueue:
    """Deduplicated FIFO of items, plus items scheduled for a later monotonic time."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._ready = threading.Condition()
        self._queued: dict[Item, None] = {}
        self._timers: list[tuple[float, int, Item]] = []
        self._scheduled: dict[Item, float] = {}
        self._order = itertools.count()
        self._closed = False

    def add(self, item: Item) -> None:
        """Queue `item` unless it already waits in the queue."""
        with self._ready:
            if item not in self._queued:
                self._queued[item] = None
                self._ready.notify()

    def add_at(self, item: Item, when: float) -> None:
        """Queue `item` at monotonic time `when` (kept if it is already due earlier)."""
        with self._ready:
            earlier = self._scheduled.get(item)
            if earlier is not None and earlier <= when:
                return
            self._scheduled[item] = when
            heapq.heappush(self._timers, (when, next(self._order), item))
            self._ready.notify()

    def cancel(self, item: Item) -> None:
        """Drop the timer of `item`, if any (its heap entry is then skipped when due)."""
        with self._ready:
            self._scheduled.pop(item, None)

    def get(self) -> Item | None:
        """The next item, blocking until one is queued or due; None once closed."""
        with self._ready:
            while not self._closed:
                self._release_due()
                if self._queued:
                    item = next(iter(self._queued))
                    del self._queued[item]
                    return item
                timeout = self._timers[0][0] - self._clock() if self._timers else None
                self._ready.wait(timeout)
            return None

    def _release_due(self) -> None:
        now = self._clock()
        while self._timers and self._timers[0][0] <= now:
            when, _, item = heapq.heappop(self._timers)
            if self._scheduled.get(item) == when:
                del self._scheduled[item]
                self._queued.setdefault(item, None)

    def pending(self) -> int:
        """Items queued now plus timers still to fall due."""
        with self._ready:
            return len(self._queued) + len(self._scheduled)

    def quiet_for(self) -> float:
        """Seconds until the worker has anything to do: 0 with items queued, the time to the
        next timer, infinity with neither."""
        with self._ready:
            if self._queued:
                return 0.0
            return min(self._scheduled.values(), default=float("inf")) - self._clock()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()
