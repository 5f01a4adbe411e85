"""`SubprocessRunner`: the `command` gate's probe (`gates.command.CommandRunner`) over
asyncio subprocesses.

The argv runs as is (no shell) in its own session, stdin from /dev/null, stdout and stderr
merged; the last lines of output are kept. On timeout (or when the caller is cancelled) the
whole process group gets SIGKILL, so a script's children die with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from collections.abc import Sequence

from envman.gates.ports import ProbeError

TAIL_LINES = 20
MAX_LINE = 500
_CHUNK = 1 << 16
_DRAIN_SECONDS = 1.0


class SubprocessRunner:
    """Runs gate commands; keeps the last `tail_lines` lines of their output."""

    def __init__(self, tail_lines: int = TAIL_LINES) -> None:
        self._tail_lines = tail_lines

    async def run(self, argv: Sequence[str], timeout: float, cwd: str) -> tuple[int | None, str]:
        process = await _start(argv, cwd)
        tail = _Tail(self._tail_lines)
        assert process.stdout is not None
        reader = asyncio.create_task(tail.collect(process.stdout))
        try:
            code: int | None = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            await _kill(process)
            code = None
        except asyncio.CancelledError:
            await _kill(process)
            raise
        finally:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader, _DRAIN_SECONDS)
        return code, tail.text()


async def _start(argv: Sequence[str], cwd: str) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProbeError(f"cannot start {argv[0]!r} in {cwd}: {exc.strerror or exc}") from exc


async def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


class _Tail:
    """The last lines of a stream, each cut to `MAX_LINE` characters."""

    def __init__(self, lines: int) -> None:
        self._lines: deque[str] = deque(maxlen=lines)
        self._partial = ""

    async def collect(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(_CHUNK):
            text = self._partial + chunk.decode(errors="replace")
            *complete, self._partial = text.split("\n")
            self._lines.extend(line[:MAX_LINE] for line in complete)
            self._partial = self._partial[-MAX_LINE:]

    def text(self) -> str:
        lines = [*self._lines, self._partial] if self._partial else list(self._lines)
        return "\n".join(lines[-(self._lines.maxlen or 1) :])
