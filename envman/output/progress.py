"""Progress sinks of a sync, and which one a run gets (`progress_for`).

`LogProgress` writes one timestamped line per event (CI, a pipe, a file); `GitHubProgress`
adds GitHub Actions' workflow commands (a `::group::` per wave, an `::error` line per failed
release or gate); `live_view.screen.LiveView` is the live view on a terminal. Details arrive
redacted and inert from the engine (`Event`), and everything passes the CLI's redacting
stream. In GitHub Actions no line built from an event starts a workflow command, and an
event's further lines (a gate's output) go between `::stop-commands::` and its end.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO

from envman.kit.inert import escape_data, escape_property, no_commands, stop_commands
from envman.output.event_text import log_text
from envman.output.live_view.screen import LiveView
from envman.plan.model import Plan
from envman.rollout.events import Event, Phase, Scope

__all__ = [
    "GitHubProgress",
    "LiveView",
    "LogProgress",
    "log_text",
    "progress_for",
    "showing",
    "terminal_width",
]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LogProgress:
    """`2025-05-01T12:00:03Z release prod-use1/api: succeeded in 12.3s, revision 7`."""

    def __init__(self, stream: TextIO | None = None, now: Callable[[], datetime] = _utc_now) -> None:
        self._stream = stream or sys.stderr
        self._now = now

    def event(self, event: Event) -> None:
        self._write(self._lines(event))

    def _lines(self, event: Event) -> list[str]:
        """The event's sentence after a timestamp; its further lines (a gate's output)
        indented under it."""
        stamp = self._now().strftime("%Y-%m-%dT%H:%M:%SZ")
        head, *rest = log_text(event).splitlines() or [""]
        return [f"{stamp} {head}", *(f"{' ' * len(stamp)}   {line}" for line in rest)]

    def _write(self, lines: list[str]) -> None:
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()


class GitHubProgress(LogProgress):
    """The log lines inside `::group::wave NAME` ... `::endgroup::`, and an `::error` line
    (an annotation of the run) for each failed release, gate or rollback."""

    def event(self, event: Event) -> None:
        if event.scope is Scope.WAVE and event.phase is Phase.START:
            self._write([f"::group::wave {escape_data(event.wave or '')}"])
        head, *rest = self._lines(event)
        self._write([no_commands(head), *(stop_commands(rest) if rest else [])])
        error = _error_line(event)
        if error:
            self._write([error])
        if event.scope is Scope.WAVE and event.phase is Phase.FINISH:
            self._write(["::endgroup::"])


_FAILED = ("failed", "rollback-failed")
_ANNOTATED = (Scope.RELEASE, Scope.GATE, Scope.ROLLBACK)


def _error_line(event: Event) -> str | None:
    """`::error title=release prod-use1/api failed (wave us)::<the reason, on one line>`."""
    if event.scope not in _ANNOTATED or event.phase is not Phase.FINISH or event.result not in _FAILED:
        return None
    if event.scope is Scope.GATE:
        what = f"gate {event.name}" + (f" {event.cluster}" if event.cluster else "")
    else:
        what = f"{event.scope.value} {event.cluster}/{event.name}"
    title = f"{what} {event.result}" + (f" (wave {event.wave})" if event.wave else "")
    return f"::error title={escape_property(title)}::{escape_data(event.detail or title)}"


@contextlib.asynccontextmanager
async def showing(progress: object) -> AsyncIterator[None]:
    """While a sync or rollback runs: the live view is on screen (nothing for log lines)."""
    if isinstance(progress, LiveView):
        async with progress.shown():
            yield
    else:
        yield


def terminal_width(progress: object) -> int | None:
    """The width of the terminal the live view draws on (None for log lines: never wrapped)."""
    return progress.console.size.width if isinstance(progress, LiveView) else None


def progress_for(
    stream: TextIO, plan: Plan | None = None, *, color: bool, environ: Mapping[str, str]
) -> LiveView | LogProgress:
    """GitHub Actions' log with `GITHUB_ACTIONS=true`; timestamped lines in CI (`CI` set)
    or when `stream` is no terminal; else the live view, listing `plan`'s waves from the
    start (`envman rollback` has no plan: its clusters appear as they start)."""
    if environ.get("GITHUB_ACTIONS") == "true":
        return GitHubProgress(stream)
    if environ.get("CI") or not stream.isatty():
        return LogProgress(stream)
    return LiveView(stream, plan, color=color)
