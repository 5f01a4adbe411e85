"""`TtyPrompt`: the `Prompt` port on a terminal (click.confirm in a daemon thread, so a run
stopped while asking does not wait for the answer at exit)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading

import click


class TtyPrompt:
    """Asks on the terminal when stdin and stderr are both one; the default answer is no."""

    def is_interactive(self) -> bool:
        return sys.stdin.isatty() and sys.stderr.isatty()

    async def confirm(self, question: str) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()

        def ask() -> None:
            try:
                value = click.confirm(question, default=False, err=True)
            except (click.Abort, EOFError):
                value = False
            with contextlib.suppress(RuntimeError):  # the loop may be gone when a stopped run ended
                loop.call_soon_threadsafe(_settle, answer, value)

        threading.Thread(target=ask, name="envman-prompt", daemon=True).start()
        return await answer


def _settle(answer: asyncio.Future[bool], value: bool) -> None:
    if not answer.done():
        answer.set_result(value)
