"""The lines `envman sync` ends with: why it failed, in full, where it was rolled back, and
where the report is."""

from __future__ import annotations

from pathlib import Path

from envman.kit.errors import HelmError
from envman.output.sync_views import end_lines
from envman.plan.workload_failures import WorkloadFailure
from tests.rollout.fakes import World, cluster, gate, plan, run_sync, wave

REPORT = Path("/tmp/report.json")


async def test_a_helm_error_ends_with_helms_line_the_rolled_back_clusters_and_the_report() -> None:
    world = World()
    world.helm.fail[("upgrade_install", "c2", "api")] = HelmError(
        "helm upgrade api failed on context c2: UPGRADE FAILED: context deadline exceeded",
        "Error: UPGRADE FAILED: context deadline exceeded",
        "UPGRADE FAILED: context deadline exceeded",
    )
    the_plan = plan(wave("us", cluster("c1", (("api",),)), cluster("c2", (("api",),))))
    report = await run_sync(world, the_plan)

    assert end_lines(report, REPORT) == [
        "sync prod: failed in 40.0s",
        "error: wave us: upgrade of api on c2 failed: helm: UPGRADE FAILED: context deadline exceeded; "
        "rolled back on c1, c2; report: /tmp/report.json",
    ]


async def test_fail_fast_ends_with_the_pod_container_reason_and_message() -> None:
    world = World()
    crash = WorkloadFailure(
        "CrashLoopBackOff", "back-off 40s restarting failed container", "api-7f9c-x2", "api"
    )
    world.watcher.failing[("c1", "api")] = (1.0, crash)
    report = await run_sync(world, plan(wave("canary", cluster("c1", (("api",),)))), on_failure="halt")

    assert end_lines(report) == [
        "sync prod: failed in 1.0s",
        "error: wave canary: upgrade of api on c1 failed: CrashLoopBackOff (pod api-7f9c-x2, container api): "
        "back-off 40s restarting failed container",
    ]


async def test_a_gates_output_follows_the_error_line_indented() -> None:
    world = World()
    world.commands.exit_code = 1
    the_plan = plan(wave("canary", cluster("c1", (("api",),)), gates=[gate(command={"run": ["./smoke"]})]))
    report = await run_sync(world, the_plan)

    lines = end_lines(report, REPORT)
    assert lines[1] == (
        "error: wave canary: gate command failed: ./smoke exited 1; rolled back on c1; report: /tmp/report.json"
    )
    assert lines[2:] == ["  ran ./smoke"]


async def test_success_names_the_report() -> None:
    report = await run_sync(World(), plan(wave("canary", cluster("c1", (("api",),)))))
    assert end_lines(report, REPORT) == ["sync prod: succeeded in 10.0s; report: /tmp/report.json"]
    assert end_lines(report) == ["sync prod: succeeded in 10.0s"]


async def test_on_a_terminal_the_lines_wrap_at_words_under_their_start() -> None:
    world = World()
    world.helm.fail[("upgrade_install", "c1", "api")] = HelmError("x", "", "UPGRADE FAILED: " + "word " * 30)
    report = await run_sync(world, plan(wave("canary", cluster("c1", (("api",),)))))

    lines = end_lines(report, REPORT, width=60)
    assert all(len(line) <= 60 for line in lines) and lines[1].startswith("error: ")
    assert all(line.startswith(" " * 7) for line in lines[2:])
    assert (
        " ".join(line.strip() for line in lines[1:])
        == end_lines(report, REPORT)[1].replace("  ", " ").strip()
    )
