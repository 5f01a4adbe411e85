"""`LiveView`: the live view of a sync on a terminal, with rich.

The view (`live_layout`) is redrawn in place on stderr, at most `_MIN_GAP` seconds apart and
every second while `shown()`; it is never taller than the terminal, so the scrollback never
fills with copies of it. Run, lock and approval events print above it. It steps aside while
an approval is asked on the terminal (the prompt writes to stderr) and comes back after the
answer. When the sync ends it is drawn once more, as the final screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import TextIO

from rich.console import Console, ConsoleDimensions, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from envman.output.event_text import log_text
from envman.output.live_view.layout import Frame, lines
from envman.output.live_view.state import LiveState
from envman.plan.model import Plan
from envman.rollout.events import Event, Phase, Scope

_MIN_GAP = 0.1
_FINAL_HEIGHT = 10_000
_COLORS = {
    "succeeded": "green",
    "acquired": "green",
    "approved": "green",
    "released": "green",
    "failed": "red",
    "lost": "red",
    "declined": "red",
    "error": "red",
}


class LiveView:
    """The `Progress` port as a live view; `renderable()` is what it draws."""

    def __init__(
        self,
        stream: TextIO,
        plan: Plan | None = None,
        *,
        color: bool = True,
        clock: Callable[[], float] = time.monotonic,
        console: Console | None = None,
    ) -> None:
        self.state = LiveState(plan, clock)
        self.console = console or _Terminal(
            file=stream,
            force_terminal=True,
            force_interactive=True,
            color_system="auto" if color else None,
            highlight=False,
            emoji=False,
            markup=False,
        )
        self._clock = clock
        self._lock = threading.RLock()
        self._live = self._new_live()
        self._shown = False
        self._paused = False
        self._drawn = 0.0
        self._dirty = False

    def event(self, event: Event) -> None:
        with self._lock:
            notable = self.state.apply(event)
        if event.scope is Scope.APPROVAL and event.phase is Phase.FINISH:
            self._resume()
        if notable and not (event.scope is Scope.RUN and event.phase is Phase.FINISH):
            self._print_above(event)  # the CLI prints how the run ended, once, after the view
        if event.scope is Scope.APPROVAL and event.phase is Phase.START:
            self._pause()
        self._draw(soon=True)

    def renderable(self, *, final: bool = False) -> _Screen:
        return _Screen(self, final=final)

    def frame_lines(self, width: int, height: int, *, final: bool = False) -> list[Text]:
        """The view's lines at `width` x `height`, now; `final`: the screen left when the run
        ended (as tall as it needs: printed once, it scrolls as any output does)."""
        ascii_only = not self.console.encoding.lower().startswith("utf")
        with self._lock:
            frame = Frame(self._clock(), width, _FINAL_HEIGHT if final else height, ascii_only, final)
            return lines(self.state, frame)

    @contextlib.asynccontextmanager
    async def shown(self, interval: float = 1.0) -> AsyncIterator[LiveView]:
        """Show the view while the block runs; the final screen stays when it ends."""
        self._shown = True
        self._start()
        task = asyncio.create_task(self._tick(interval))
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._shown = False
            self._live.stop()
            self.console.print(self.renderable(final=True))

    async def _tick(self, interval: float) -> None:
        while True:
            await asyncio.sleep(min(_MIN_GAP, interval))
            if self._dirty or time.monotonic() - self._drawn >= interval:
                self._draw()

    def _draw(self, *, soon: bool = False) -> None:
        """Redraw now, or with `soon` at the next tick when the last one was just now."""
        if not self._live.is_started:
            return
        if soon and time.monotonic() - self._drawn < _MIN_GAP:
            self._dirty = True
            return
        self._dirty, self._drawn = False, time.monotonic()
        self._live.refresh()

    def _new_live(self) -> Live:
        return Live(
            _Screen(self),
            console=self.console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=_is_terminal(sys.stdout),
            redirect_stderr=True,
        )

    def _start(self) -> None:
        """Draw the view from where the cursor is (a new `Live`: one restarted would first
        erase as many lines as it last drew, the question and its answer among them)."""
        if self._shown and not self._paused and not self._live.is_started:
            self._live = self._new_live()
            self._live.start(refresh=True)

    def _pause(self) -> None:
        """Step aside while the prompt asks on the terminal: the view stays above the
        question as it was, and is drawn live again below the answer."""
        self._paused = True
        if self._live.is_started:
            self._live.stop()
            self.console.print(self.renderable())

    def _resume(self) -> None:
        self._paused = False
        self._start()

    def _print_above(self, event: Event) -> None:
        self.console.print(Text(log_text(event), _COLORS.get(event.result or "", "")))


class _Terminal(Console):
    """A console whose size is the terminal's own, asked each time: never `LINES`/`COLUMNS`
    from the environment (rich's default), which are stale after a resize or inherited from
    another program, and would make the view taller or wider than the screen."""

    @property
    def size(self) -> ConsoleDimensions:
        try:
            columns, rows = os.get_terminal_size(self.file.fileno())
        except (OSError, ValueError, AttributeError):
            return super().size
        if columns <= 0 or rows <= 0:  # a pty nobody sized (`script` without a terminal): unknown
            return super().size
        return ConsoleDimensions(columns, rows)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


class _Screen:
    """What rich draws: the view's lines at the console's size (`final`: the final screen)."""

    def __init__(self, view: LiveView, *, final: bool = False) -> None:
        self._view = view
        self._final = final

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        height = options.height or options.max_height
        yield from self._view.frame_lines(options.max_width, height, final=self._final)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except ValueError:  # closed
        return False
