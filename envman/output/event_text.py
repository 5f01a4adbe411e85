"""An engine event as one sentence, for log lines and the lines printed above the live view."""

from __future__ import annotations

from envman.kit.durations import elapsed
from envman.rollout.events import Event, Phase


def log_text(event: Event) -> str:
    """`wave canary: started`, `gate http x (wave canary): passed in 1.0s: ...`,
    `release c1/api: 2/3 ready`."""
    if event.phase is Phase.START:
        text = f"{event.subject}: started"
    elif event.phase is Phase.PROGRESS:
        text = event.subject
    else:
        text = f"{event.subject}: {event.result or 'done'}"
    if event.seconds is not None:
        text += f" in {elapsed(event.seconds)}"
    return f"{text}: {event.detail}" if event.detail else text
