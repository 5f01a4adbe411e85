"""The live view of a sync: its lines at a given terminal size, fed with the engine's events."""

from __future__ import annotations

import asyncio
import io
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

from envman.kit.errors import HelmError
from envman.output.live_view.screen import LiveView
from envman.output.progress import terminal_width
from envman.output.sync_views import end_lines
from envman.plan.model import Plan
from envman.rollout.events import Event, Phase, Scope
from envman.rollout.report import Report
from envman.rollout.results import RunResult
from tests.rollout.fakes import World, cluster, gate, plan, run_sync, wave

W, C, R, G = Scope.WAVE, Scope.CLUSTER, Scope.RELEASE, Scope.GATE


def screen(view: LiveView, width: int = 100, height: int = 40) -> list[str]:
    """What the view draws on a `width` x `height` terminal."""
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    console.print(view.renderable())
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def three_waves(us_clusters: int = 2) -> Plan:
    layers = (("db",), ("api", "web"))
    return plan(
        wave(
            "canary",
            cluster("c0", layers),
            gates=[gate(health={}), gate(command={"run": ["./smoke"]})],
            bake=30,
        ),
        wave(
            "us", *(cluster(f"us{i}", layers) for i in range(us_clusters)), gates=[gate(health={})], bake=60
        ),
        wave("world", cluster("eu1", layers), cluster("ap1", layers)),
    )


async def test_a_finished_wave_collapses_to_one_line_with_its_gate_results() -> None:
    world = World()
    the_plan = plan(
        wave("canary", cluster("c1"), gates=[gate(health={}), gate(command={"run": ["./smoke"]})], bake=30.0),
        wave("us", cluster("c2", (("api",),))),
    )
    view = LiveView(io.StringIO(), the_plan, clock=world.clock.now)
    world.progress = view  # type: ignore[assignment]

    await run_sync(world, the_plan)

    assert screen(view) == [
        "✓ canary  succeeded   50.0s  health ✓  command ✓  bake ✓",
        "✓ us      succeeded   10.0s",
    ]


def test_every_wave_is_listed_from_the_start_and_later_waves_stay_pending() -> None:
    clock = Clock()
    view = LiveView(io.StringIO(), three_waves(), clock=clock)
    assert screen(view) == [
        "· canary  pending          1 cluster, 3 changes",
        "· us      pending          2 clusters, 6 changes",
        "· world   pending          2 clusters, 6 changes",
    ]

    view.event(Event(W, Phase.START, wave="canary"))
    clock.now = 5.0
    lines = screen(view)
    assert lines[0] == "● canary  running      5s  0/1 clusters done"
    assert lines[1:5] == ["  · c0  pending", "    · db   pending", "    · api  pending", "    · web  pending"]
    assert lines[-3:] == [
        "  gates  health ·  command ·  bake · 30s",
        "· us      pending          2 clusters, 6 changes",
        "· world   pending          2 clusters, 6 changes",
    ]


def _us_running(view: LiveView, clock: Clock) -> None:
    """canary done; in `us`, us0 has db done, api at 2/3 pods, web installing."""
    for scope, phase, extra in (
        (W, Phase.START, {}),
        (W, Phase.FINISH, {"result": "succeeded", "seconds": 55.9}),
    ):
        view.event(Event(scope, phase, wave="canary", **extra))  # type: ignore[arg-type]
    view.event(Event(W, Phase.START, wave="us"))
    view.event(Event(C, Phase.START, wave="us", cluster="us0"))
    view.event(Event(R, Phase.START, wave="us", cluster="us0", name="db", detail="upgrade", limit=300))
    clock.now = 12.0
    view.event(
        Event(
            R,
            Phase.FINISH,
            wave="us",
            cluster="us0",
            name="db",
            result="succeeded",
            seconds=12.0,
            detail="revision 7",
        )
    )
    view.event(Event(R, Phase.START, wave="us", cluster="us0", name="api", detail="upgrade", limit=300))
    view.event(Event(R, Phase.START, wave="us", cluster="us0", name="web", detail="install", limit=90))
    view.event(Event(R, Phase.PROGRESS, wave="us", cluster="us0", name="api", detail="2/3 ready"))
    clock.now = 77.0


def test_releases_show_status_pods_elapsed_and_timeout_in_aligned_columns() -> None:
    clock = Clock()
    view = LiveView(io.StringIO(), three_waves(), clock=clock)
    _us_running(view, clock)

    lines = screen(view)

    us0 = lines[lines.index("  ● us0  running    1m17s") + 1 :][:3]
    rows = {line.split()[1]: line for line in us0}
    assert re.fullmatch(r" {4}✓ db +succeeded +12\.0s +revision 7", rows["db"])
    assert re.fullmatch(r" {4}● api +upgrading +2/3 ready +1m05s / 5m", rows["api"])
    assert re.fullmatch(r" {4}● web +installing +1m05s / 1m30s", rows["web"])
    assert rows["api"].index("upgrading") == rows["db"].index("succeeded") == rows["web"].index("installing")
    ends = {app: rows[app].index("s", rows[app].index(t)) for app, t in (("db", "12.0s"), ("api", "1m05s"))}
    assert ends["db"] == ends["api"]  # elapsed right-aligned in one column
    assert rows["api"].index("/ 5m") == rows["web"].index("/ 1m30s")
    assert lines[0].startswith("✓ canary  succeeded   55.9s")
    assert lines[1] == "● us      running     1m17s  0/2 clusters done"
    assert lines[-2:] == [
        "  gates  health ·  bake · 1m",
        "· world   pending            2 clusters, 6 changes",
    ]


def test_what_the_pods_wait_for_follows_the_pods_column() -> None:
    clock = Clock()
    view = LiveView(io.StringIO(), three_waves(), clock=clock)
    _us_running(view, clock)
    waiting = "1/3 ready (ContainerCreating: no definitive failure, helm's timeout decides)"
    view.event(Event(R, Phase.PROGRESS, wave="us", cluster="us0", name="api", detail=waiting))

    api = next(line for line in screen(view, width=120) if line.startswith("    ● api"))

    assert re.fullmatch(
        r" {4}● api +upgrading +1/3 ready +1m05s / 5m +ContainerCreating: no definitive failure, "
        r"helm's timeout decides",
        api,
    )


def test_other_news_of_a_wave_prints_above_the_view() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    view = LiveView(out, three_waves(), console=console)
    detail = "verification not recorded (the next sync verifies again): 503"
    view.event(Event(W, Phase.INFO, wave="canary", cluster="c0", result="not-recorded", detail=detail))
    view.event(Event(W, Phase.INFO, wave="us", result="unchanged"))

    assert out.getvalue() == f"wave canary: not-recorded: {detail}\n"
    assert screen(view)[:2] == ["· canary  pending            1 cluster, 3 changes", "– us      unchanged"]


def test_a_bake_shows_the_time_left() -> None:
    clock = Clock()
    view = LiveView(io.StringIO(), three_waves(), clock=clock)
    view.event(Event(W, Phase.START, wave="canary"))
    for kind in ("health", "command"):
        view.event(Event(G, Phase.START, wave="canary", cluster="c0", name=kind))
        view.event(
            Event(G, Phase.FINISH, wave="canary", cluster="c0", name=kind, result="passed", seconds=0.5)
        )
    view.event(Event(G, Phase.START, wave="canary", name="bake", detail="for 30.0s", limit=30.0))
    clock.now = 12.4

    gates = next(line for line in screen(view) if line.startswith("  gates"))

    assert gates == "  gates  health ✓  command ✓  bake ● 17s left of 30s"


def _fifty_clusters_in_every_state(view: LiveView, clock: Clock) -> None:
    view.event(Event(W, Phase.START, wave="canary"))
    view.event(Event(W, Phase.FINISH, wave="canary", result="succeeded", seconds=55.9))
    view.event(Event(W, Phase.START, wave="us"))
    for i in range(50):
        name = f"us{i}"
        if i % 5 == 4:
            continue  # pending
        view.event(Event(C, Phase.START, wave="us", cluster=name))
        view.event(Event(R, Phase.START, wave="us", cluster=name, name="db", detail="upgrade", limit=300))
        if i < 30:
            view.event(
                Event(R, Phase.FINISH, wave="us", cluster=name, name="db", result="succeeded", seconds=3)
            )
            view.event(Event(C, Phase.FINISH, wave="us", cluster=name, result="succeeded", seconds=9))
        clock.now += 1
    view.event(
        Event(
            R, Phase.FINISH, wave="us", cluster="us31", name="db", result="failed", detail="ImagePullBackOff"
        )
    )


@pytest.mark.parametrize("height", [1, 2, 3, 5, 8, 12, 24, 50])
def test_fifty_clusters_never_exceed_the_terminal(height: int) -> None:
    clock = Clock()
    view = LiveView(io.StringIO(), three_waves(us_clusters=50), clock=clock)
    _fifty_clusters_in_every_state(view, clock)

    lines = screen(view, width=60, height=height)

    assert len(lines) <= height
    assert all(len(line) <= 60 for line in lines)
    if height >= 8:
        assert lines[0].startswith("✓ canary") and lines[-1].startswith("· world")
        assert any(re.match(r"  … and \d+ more clusters \(", line) for line in lines)
        assert any("db: ImagePull" in line or "✗ db" in line for line in lines)  # a failure stays in sight


def test_at_8_rows_finished_clusters_fold_first_and_the_rest_is_counted() -> None:
    clock = Clock()
    view = LiveView(io.StringIO(), three_waves(us_clusters=50), clock=clock)
    _us_running(view, clock)
    for i in range(1, 50):
        view.event(Event(C, Phase.START, wave="us", cluster=f"us{i}"))
        if i < 40:
            view.event(Event(C, Phase.FINISH, wave="us", cluster=f"us{i}", result="succeeded", seconds=9))

    lines = screen(view, height=8)

    assert len(lines) == 8
    assert lines[0].startswith("✓ canary") and lines[1].startswith("● us ")
    assert any(
        re.match(r"  ● us0 +running +1m17s +1/3 releases, api 2/3 ready, web installing", li) for li in lines
    )
    more = next(line for line in lines if "more clusters" in line)
    assert re.fullmatch(r"  … and \d+ more clusters \(\d+ succeeded, \d+ running\)", more)
    assert lines[-2:] == [
        "  gates  health ·  bake · 1m",
        "· world   pending            2 clusters, 6 changes",
    ]


async def test_a_failed_wave_shows_its_rollback_and_ends_rolled_back() -> None:
    world = World()
    world.helm.fail[("upgrade_install", "c2", "api")] = "timed out waiting for the condition"
    the_plan = plan(
        wave("canary", cluster("c1", (("api",),))),
        wave("us", cluster("c2", (("db",), ("api",)))),
        wave("world", cluster("c3", (("api",),))),
    )
    view = LiveView(io.StringIO(), the_plan, clock=world.clock.now)
    world.progress = view  # type: ignore[assignment]

    await run_sync(world, the_plan)

    assert screen(view) == [
        "✓ canary  succeeded     10.0s",
        "↺ us      rolled-back   20.0s  upgrade of api on c2 failed: timed out waiting for the condition",
        "· world   not-started          1 cluster, 1 change",
    ]
    us = view.state.waves["us"].clusters["c2"].releases
    assert (us["db"].status, us["api"].status) == ("rolled-back", "rolled-back")


def test_envman_rollback_without_a_plan_lists_clusters_as_they_start() -> None:
    clock = Clock()
    view = LiveView(io.StringIO(), None, clock=clock)
    view.event(Event(Scope.ROLLBACK, Phase.START, cluster="c1", name="api"))
    clock.now = 3.0
    assert screen(view) == [
        "● rollback  rolling back      3s  0/1 clusters done",
        "  ● c1  rolling back       3s",
        "    ● api  rolling back  3s",
    ]
    view.event(Event(Scope.ROLLBACK, Phase.FINISH, cluster="c1", name="api", result="succeeded", seconds=3.0))
    assert screen(view) == ["✓ rollback  succeeded    3.0s"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _live_console(out: io.StringIO) -> Console:
    return Console(
        file=out, width=80, height=20, force_terminal=True, force_interactive=True, color_system=None
    )


async def test_the_view_steps_aside_while_an_approval_is_asked() -> None:
    out = _Terminal()
    view = LiveView(out, three_waves(), console=_live_console(out))
    async with view.shown(interval=0.01):
        view.event(Event(W, Phase.START, wave="canary"))
        view.event(Event(Scope.APPROVAL, Phase.START, wave="us"))
        asked = len(out.getvalue())
        await asyncio.sleep(0.05)
        assert len(out.getvalue()) == asked  # nothing drawn over the question
        assert "approval us: started" in out.getvalue()
        view.event(Event(Scope.APPROVAL, Phase.FINISH, wave="us", result="approved"))
        await asyncio.sleep(0.05)
        after = out.getvalue()[asked:]
        assert "approval us: approved" in after and "● canary" in after
    final = out.getvalue().rsplit("\x1b[2K", 1)[-1]
    assert "● canary" in final and "· us" in final


async def test_lock_and_run_events_print_above_and_the_times_keep_moving() -> None:
    out = _Terminal()
    view = LiveView(out, three_waves(), console=_live_console(out))
    async with view.shown(interval=0.01):
        view.event(Event(Scope.RUN, Phase.START, detail="sync prod: 3 waves"))
        view.event(Event(Scope.LOCK, Phase.START, detail="held by me@host (pid 1)"))
        view.event(Event(W, Phase.START, wave="canary"))
        drawn = out.getvalue().count("● canary")
        await asyncio.sleep(0.35)
        assert out.getvalue().count("● canary") > drawn + 1
        view.event(Event(Scope.RUN, Phase.FINISH, result="succeeded", seconds=1.0))
    text = out.getvalue()
    assert "run: started: sync prod: 3 waves" in text and "lock: started: held by me@host (pid 1)" in text
    assert "run: succeeded" not in text  # the CLI says how the run ended, once


def final_screen(view: LiveView, width: int) -> list[str]:
    """The screen left when the run ended, at `width` columns."""
    console = Console(file=io.StringIO(), width=width, height=24, color_system=None)
    console.print(view.renderable(final=True))
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined]


HELM_SAYS = (
    'release api failed, and has been uninstalled due to atomic being set: ConfigMap "Bad_Name" is '
    'invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist '
    "of lower case alphanumeric characters or '-'"
)


@pytest.mark.parametrize("width", [80, 120])
async def test_the_final_screen_wraps_the_whole_reason_and_names_the_rolled_back_clusters(width: int) -> None:
    world = World()
    world.helm.fail[("upgrade_install", "c2", "api")] = HelmError("helm upgrade api failed", "", HELM_SAYS)
    the_plan = plan(
        wave("canary", cluster("c1", (("api",),))),
        wave("us", cluster("c1b", (("api",),)), cluster("c2", (("db",), ("api",))), max_parallel=1),
        wave("world", cluster("c3", (("api",),))),
    )
    view = LiveView(io.StringIO(), the_plan, clock=world.clock.now)
    world.progress = view  # type: ignore[assignment]

    await run_sync(world, the_plan)

    lines = final_screen(view, width)
    assert all(len(line) <= width and "…" not in line for line in lines), "\n".join(lines)
    us = lines.index(next(line for line in lines if line.startswith("↺ us ")))
    reason = " ".join(
        line.strip().lstrip("✗ ") for line in lines[us + 1 :] if not line.startswith(("·", "  ↺"))
    )
    assert reason == f"upgrade of api on c2 failed: helm: {HELM_SAYS}"
    assert "  ↺ rolled back on c1b, c2" in lines
    assert lines[-1].startswith("· world   not-started")


def test_a_cluster_follows_the_rollback_of_its_releases() -> None:
    """c1 succeeded; when the wave fails on c2 and rolls back, c1 is rolling back, then rolled back."""
    clock = Clock()
    view = LiveView(io.StringIO(), three_waves(), clock=clock)
    view.event(Event(W, Phase.START, wave="us"))
    for name, result in (("us0", "succeeded"), ("us1", "failed")):
        view.event(Event(C, Phase.START, wave="us", cluster=name))
        view.event(Event(R, Phase.START, wave="us", cluster=name, name="web", detail="upgrade"))
        view.event(Event(R, Phase.FINISH, wave="us", cluster=name, name="web", result=result, seconds=1.0))
        view.event(Event(C, Phase.FINISH, wave="us", cluster=name, result=result, seconds=1.0))
    view.event(Event(W, Phase.FINISH, wave="us", result="failed", detail="upgrade of web on us1 failed: x"))
    view.event(Event(Scope.ROLLBACK, Phase.START, wave="us", cluster="us0", name="web"))
    clock.now = 3.0
    lines = screen(view)
    us0 = next(line for line in lines if line.startswith("  ") and " us0 " in line)
    assert "rolling back" in us0 and "succeeded" not in us0, lines
    view.event(Event(Scope.ROLLBACK, Phase.FINISH, wave="us", cluster="us0", name="web", result="succeeded"))
    assert view.state.waves["us"].clusters["us0"].step.status == "rolled-back"


def test_a_terminal_nobody_sized_is_drawn_at_a_default_size() -> None:
    """A new pty is 0x0 until someone sizes it (`script` run without a terminal): the view
    and the end lines use rich's default size, never a width of 0 (which crashed textwrap)."""
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as stream:
        view = LiveView(stream, three_waves())
        assert os.get_terminal_size(slave) == (0, 0)
        width = terminal_width(view)
        assert width is not None and width > 0
        report = Report("prod", RunResult.SUCCEEDED, [], seconds=1.0)
        assert end_lines(report, Path("/tmp/r.json"), width) == [
            "sync prod: succeeded in 1.0s; report: /tmp/r.json"
        ]
    os.close(master)
