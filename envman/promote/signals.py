"""SIGINT and SIGTERM held back while a promotion changes the repository: a signal that
arrives meanwhile is only noted, and the promotion then undoes what it did instead of
stopping half-way (README, "Promotion")."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

DEFERRED = (signal.SIGINT, signal.SIGTERM)


class Deferred:
    """The signals received while deferred, oldest first."""

    def __init__(self) -> None:
        self.received: list[signal.Signals] = []

    def note(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signal.Signals(signum))

    @property
    def interrupted(self) -> bool:
        return bool(self.received)

    def describe(self) -> str:
        return ", ".join(dict.fromkeys(s.name for s in self.received))


@contextlib.contextmanager
def deferred_signals() -> Iterator[Deferred]:
    """Inside the block SIGINT and SIGTERM are recorded, not acted on; the previous handlers
    come back at its end (signals can only be handled in the main thread: elsewhere nothing
    is deferred)."""
    deferred = Deferred()
    if threading.current_thread() is not threading.main_thread():
        yield deferred
        return
    previous = {sig: signal.signal(sig, deferred.note) for sig in DEFERRED}
    try:
        yield deferred
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
