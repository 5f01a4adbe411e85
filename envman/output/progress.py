"""Progress sinks: timestamped log lines for CI, a live status block for a terminal.

`LogProgress` writes one line per event. `TtyProgress` redraws a compact block (the waves,
and for the wave in progress its clusters, releases, gates and rollbacks with elapsed time)
in place with ANSI codes; `ticking()` keeps the elapsed times moving between events. Details
arrive redacted from the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from envman.kit.durations import elapsed
from envman.rollout.events import Event, Phase, Scope


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LogProgress:
    """`2025-05-01T12:00:03Z release prod-use1/api: succeeded in 12.3s, revision 7`."""

    def __init__(self, stream: TextIO | None = None, now: Callable[[], datetime] = _utc_now) -> None:
        self._stream = stream or sys.stderr
        self._now = now

    def event(self, event: Event) -> None:
        stamp = self._now().strftime("%Y-%m-%dT%H:%M:%SZ")
        head, *rest = log_text(event).splitlines() or [""]
        lines = [f"{stamp} {head}", *(f"{' ' * len(stamp)}   {line}" for line in rest)]
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()


def log_text(event: Event) -> str:
    """An event as a sentence: `wave canary: started`, `gate http x (wave canary): passed in 1.0s: ...`."""
    if event.phase is Phase.PROGRESS:
        return f"{event.subject}: {event.detail}"
    if event.phase is Phase.START:
        text = f"{event.subject}: started"
    else:
        text = f"{event.subject}: {event.result or 'done'}"
    if event.seconds is not None:
        text += f" in {elapsed(event.seconds)}"
    return f"{text}: {event.detail}" if event.detail else text


_COLORS = {
    "succeeded": "32",
    "passed": "32",
    "approved": "32",
    "released": "32",
    "acquired": "32",
    "rolled-back": "33",
    "running": "36",
    "interrupted": "33",
    "awaiting": "33",
    "unchanged": "2",
    "failed": "31",
    "rollback-failed": "31",
    "lost": "31",
    "declined": "31",
}
_NOTABLE = (Scope.RUN, Scope.LOCK, Scope.APPROVAL)


@dataclass
class _Row:
    event: Event
    started: float
    status: str = "running"
    seconds: float | None = None
    detail: str = ""


class TtyProgress:
    """A live status block on a terminal; lock, approval and run events print above it."""

    def __init__(
        self, stream: TextIO | None = None, *, color: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream or sys.stderr
        self._color = color
        self._clock = clock
        self._rows: dict[tuple[str, str | None, str | None, str | None], _Row] = {}
        self._current: str | None = None
        self._drawn = 0
        self._paused = False

    def event(self, event: Event) -> None:
        if event.scope in _NOTABLE:
            self._print_above(event)
            self._paused = event.scope is Scope.APPROVAL and event.phase is Phase.START
        else:
            self._update(event)
        self.redraw()

    @contextlib.asynccontextmanager
    async def ticking(self, interval: float = 1.0) -> AsyncIterator[TtyProgress]:
        """Redraw every `interval` seconds inside the block."""

        async def tick() -> None:
            while True:
                await asyncio.sleep(interval)
                self.redraw()

        task = asyncio.create_task(tick())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.redraw()

    def redraw(self) -> None:
        if self._paused:
            return
        lines = self._block()
        self._stream.write(self._erase() + "".join(line + "\n" for line in lines))
        self._stream.flush()
        self._drawn = len(lines)

    def _update(self, event: Event) -> None:
        key = (event.scope.value, event.wave, event.cluster, event.name)
        if event.scope is Scope.WAVE:
            self._current = event.wave
        row = self._rows.get(key)
        if row is not None and event.phase is Phase.PROGRESS:
            row.detail = event.detail
            return
        if row is None or event.phase is Phase.START:
            row = self._rows[key] = _Row(event, self._clock())
        if event.phase is not Phase.START:
            row.status = event.result or "done"
            row.seconds = event.seconds
            row.detail = event.detail.splitlines()[0] if event.detail else ""

    def _print_above(self, event: Event) -> None:
        self._stream.write(self._erase() + self._paint(log_text(event), event.result or "") + "\n")
        self._drawn = 0

    def _erase(self) -> str:
        return f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""

    def _block(self) -> list[str]:
        width = max(shutil.get_terminal_size((100, 20)).columns - 1, 20)
        lines = []
        for (scope, wave, _, _), row in self._rows.items():
            if scope == Scope.WAVE.value or wave == self._current:
                lines.append(self._line(row, width))
        return lines

    def _line(self, row: _Row, width: int) -> str:
        event = row.event
        indent = {Scope.WAVE: "", Scope.CLUSTER: "  ", Scope.GATE: "  "}.get(event.scope, "    ")
        label = f"wave {event.wave}" if event.scope is Scope.WAVE else _label(event)
        seconds = row.seconds if row.seconds is not None else self._clock() - row.started
        text = f"{indent}{label:<36} {row.status:<15} {elapsed(seconds):>7}"
        if row.detail:
            text += f"  {row.detail}"
        return self._paint(text[:width], row.status)

    def _paint(self, text: str, status: str) -> str:
        code = _COLORS.get(status)
        return f"\x1b[{code}m{text}\x1b[0m" if self._color and code else text


def _label(event: Event) -> str:
    if event.scope is Scope.CLUSTER:
        return f"{event.cluster}"
    if event.scope is Scope.GATE:
        return f"gate {event.name}" + (f" {event.cluster}" if event.cluster else "")
    if event.scope is Scope.ROLLBACK:
        return f"rollback {event.cluster}/{event.name}"
    return f"{event.cluster}/{event.name}"


@contextlib.asynccontextmanager
async def showing(progress: object) -> AsyncIterator[None]:
    """While a sync runs: on a terminal, keep elapsed times moving between events."""
    if isinstance(progress, TtyProgress):
        async with progress.ticking(1.0):
            yield
    else:
        yield


def progress_for(stream: TextIO, *, color: bool) -> TtyProgress | LogProgress:
    """The live view on a terminal, timestamped lines otherwise."""
    return TtyProgress(stream, color=color) if stream.isatty() else LogProgress(stream)
