"""Text from outside through every progress sink of a sync: the CI log lines, GitHub Actions'
log and the live view show it inert, and in GitHub Actions it runs no workflow command."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from envman.output.progress import GitHubProgress, LiveView, LogProgress
from envman.plan.workload_failures import WorkloadFailure
from envman.rollout.report import Report
from tests.hostile import PAYLOAD, assert_inert, commands_other_than
from tests.rollout.fakes import World, cluster, gate, plan, run_sync, wave

NOON = datetime(2025, 5, 1, 12, 0, 3, tzinfo=UTC)


async def _hostile_run(world: World) -> Report:
    """A run where helm's error, the pods' progress, a pod's message and a gate's output all
    carry every control class and GitHub workflow commands."""
    world.helm.fail[("upgrade_install", "c2", "api")] = f"UPGRADE FAILED: {PAYLOAD}"
    world.watcher.pods = f"0/1 ready ({PAYLOAD})"
    world.watcher.failing[("c3", "api")] = (1.0, WorkloadFailure("CrashLoopBackOff", PAYLOAD, "api-1", "api"))
    smoke = gate(command={"run": ["./smoke", PAYLOAD]})
    the_plan = plan(
        wave("canary", cluster("c1", (("api",),)), gates=[smoke]),
        wave("us", cluster("c2", (("api",),)), cluster("c3", (("api",),))),
    )
    return await run_sync(world, the_plan, on_failure="halt")


async def test_ci_log_lines_show_text_from_outside_inert() -> None:
    world, out = World(), io.StringIO()
    world.progress = LogProgress(out, now=lambda: NOON)  # type: ignore[assignment]

    report = await _hostile_run(world)

    assert report.exit_code == 3
    log = out.getvalue()
    assert_inert(log)
    assert "UPGRADE FAILED: hostile<" in log and "add-mask" in log  # the text is there, inert


async def test_github_actions_runs_no_command_from_outside_text() -> None:
    world, out = World(), io.StringIO()
    world.progress = GitHubProgress(out, now=lambda: NOON)  # type: ignore[assignment]

    await _hostile_run(world)

    log = out.getvalue()
    assert_inert(log)
    assert commands_other_than(log, {"group", "endgroup", "error"}) == []
    errors = [line for line in log.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1 and "INJECTED" in errors[0]  # inside the annotation's data, escaped
    assert "%0A" in errors[0] and "\r" not in errors[0]


async def test_the_live_view_shows_text_from_outside_inert() -> None:
    world, above = World(), io.StringIO()
    view = LiveView(above, None, color=True, clock=world.clock.now)
    world.progress = view  # type: ignore[assignment]

    await _hostile_run(world)

    for width in (80, 200):
        console = Console(file=io.StringIO(), width=width, height=40, color_system="truecolor")
        console.print(view.renderable())
        assert_inert(console.file.getvalue(), colors=True)  # type: ignore[attr-defined]
    assert_inert(above.getvalue(), colors=True)
