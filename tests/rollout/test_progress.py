"""Progress sinks: log lines for CI, a live block for a terminal."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

from envman.output.progress import LogProgress, TtyProgress
from envman.rollout.events import Event, Phase, Scope
from tests.rollout.fakes import World, cluster, gate, plan, run_sync, wave

NOON = datetime(2025, 5, 1, 12, 0, 3, tzinfo=UTC)


async def test_log_lines_follow_the_run() -> None:
    world = World()
    out = io.StringIO()
    world.progress = LogProgress(out, now=lambda: NOON)  # type: ignore[assignment]
    the_plan = plan(wave("canary", cluster("c1", (("api",),)), gates=[gate(command={"run": ["./smoke"]})]))

    await run_sync(world, the_plan)

    assert out.getvalue().splitlines() == [
        "2025-05-01T12:00:03Z run: started: sync prod: 1 wave",
        "2025-05-01T12:00:03Z lock: started: held by ci@runner (pid 1)",
        "2025-05-01T12:00:03Z wave canary: started",
        "2025-05-01T12:00:03Z cluster c1: started",
        "2025-05-01T12:00:03Z release c1/api: started: upgrade",
        "2025-05-01T12:00:03Z release c1/api: succeeded in 10.0s: revision 100",
        "2025-05-01T12:00:03Z cluster c1: succeeded in 10.0s",
        "2025-05-01T12:00:03Z gate command (wave canary): started",
        "2025-05-01T12:00:03Z gate command (wave canary): passed in 0.0s: ./smoke exited 0",
        "                       ran ./smoke",
        "2025-05-01T12:00:03Z wave canary: succeeded in 10.0s",
        "2025-05-01T12:00:03Z lock: released",
        "2025-05-01T12:00:03Z run: succeeded in 10.0s",
    ]


def test_tty_block_redraws_in_place_and_shows_the_current_wave() -> None:
    out = io.StringIO()
    now = [100.0]
    tty = TtyProgress(out, color=False, clock=lambda: now[0])

    tty.event(Event(Scope.WAVE, Phase.START, wave="canary"))
    tty.event(Event(Scope.RELEASE, Phase.START, wave="canary", cluster="c1", name="api"))
    now[0] = 112.5
    tty.redraw()

    frames = out.getvalue().split("\x1b[")
    last = out.getvalue().rsplit("\x1b[J", 1)[1].splitlines()
    assert len(frames) > 1
    assert last[0].startswith("wave canary") and last[0].rstrip().endswith("12.5s")
    assert last[1].startswith("    c1/api") and "running" in last[1]

    tty.event(
        Event(
            Scope.RELEASE,
            Phase.FINISH,
            wave="canary",
            cluster="c1",
            name="api",
            result="succeeded",
            seconds=9.0,
        )
    )
    tty.event(Event(Scope.WAVE, Phase.FINISH, wave="canary", result="succeeded", seconds=12.0))
    tty.event(Event(Scope.WAVE, Phase.START, wave="us"))
    final = out.getvalue().rsplit("\x1b[J", 1)[1].splitlines()
    assert [line.split()[:3] for line in final] == [
        ["wave", "canary", "succeeded"],
        ["wave", "us", "running"],
    ]


def test_tty_prints_notable_events_above_the_block_and_pauses_for_approval() -> None:
    out = io.StringIO()
    tty = TtyProgress(out, color=False, clock=lambda: 0.0)
    tty.event(Event(Scope.WAVE, Phase.START, wave="us"))
    tty.event(Event(Scope.APPROVAL, Phase.START, wave="us"))
    before = out.getvalue()

    tty.redraw()

    assert out.getvalue() == before  # nothing drawn over the question
    tty.event(Event(Scope.APPROVAL, Phase.FINISH, wave="us", result="approved"))
    assert "approval us: approved" in out.getvalue()
    assert out.getvalue().endswith("\n") and "wave us" in out.getvalue().rsplit("approved", 1)[1]


async def test_ticking_redraws_between_events() -> None:
    out = io.StringIO()
    tty = TtyProgress(out, color=False)
    tty.event(Event(Scope.WAVE, Phase.START, wave="canary"))
    drawn = out.getvalue().count("wave canary")

    async with tty.ticking(0.01):
        await asyncio.sleep(0.05)

    assert out.getvalue().count("wave canary") > drawn + 1
