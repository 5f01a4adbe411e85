"""Progress sinks: which one a run gets, log lines for CI, GitHub Actions' workflow commands."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest

from envman.output.progress import GitHubProgress, LiveView, LogProgress, progress_for
from tests.rollout.fakes import World, cluster, gate, plan, run_sync, wave

NOON = datetime(2025, 5, 1, 12, 0, 3, tzinfo=UTC)


class _Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


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


@pytest.mark.parametrize(
    ("environ", "tty", "kind"),
    [
        ({}, True, LiveView),
        ({}, False, LogProgress),
        ({"CI": "true"}, True, LogProgress),
        ({"CI": "1"}, True, LogProgress),
        ({"CI": ""}, True, LiveView),
        ({"GITHUB_ACTIONS": "true", "CI": "true"}, True, GitHubProgress),
        ({"GITHUB_ACTIONS": "true"}, False, GitHubProgress),
    ],
)
def test_a_terminal_gets_the_live_view_ci_and_pipes_get_lines(
    environ: dict[str, str], tty: bool, kind: type
) -> None:
    stream = _Tty() if tty else io.StringIO()
    assert type(progress_for(stream, None, color=True, environ=environ)) is kind


async def test_ci_on_a_terminal_writes_plain_lines_without_ansi() -> None:
    world = World()
    out = _Tty()
    the_plan = plan(
        wave("canary", cluster("c1"), gates=[gate(health={})], bake=30.0),
        wave("us", cluster("c2")),
    )
    world.progress = progress_for(out, the_plan, color=True, environ={"CI": "true"})  # type: ignore[assignment]

    await run_sync(world, the_plan)

    lines = out.getvalue().splitlines()
    assert "\x1b" not in out.getvalue()
    assert len(lines) > 20 and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ | +", line) for line in lines)
    assert any(line.endswith("wave us: succeeded in 20.0s") for line in lines)


async def test_github_actions_groups_each_wave_and_annotates_each_failure() -> None:
    world = World()
    out = io.StringIO()
    world.progress = GitHubProgress(out, now=lambda: NOON)  # type: ignore[assignment]
    world.helm.fail[("upgrade_install", "c2", "api")] = (
        "timed out waiting for the condition\ndeployment api: 0/3"
    )
    the_plan = plan(wave("canary", cluster("c1", (("api",),))), wave("us", cluster("c2", (("api",),))))

    await run_sync(world, the_plan)

    lines = out.getvalue().splitlines()
    while any(line.startswith("::stop-commands::") for line in lines):  # helm's further lines
        start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
        token = lines[start].removeprefix("::stop-commands::")
        assert lines[start + 1].strip() == "deployment api: 0/3" and lines[start + 2] == f"::{token}::"
        del lines[start : start + 3]
    assert [line for line in lines if line.startswith("::")] == [
        "::group::wave canary",
        "::endgroup::",
        "::group::wave us",
        "::error title=release c2/api failed (wave us)::timed out waiting for the condition%0Adeployment api: 0/3",
        "::endgroup::",
    ]
    assert lines.index("::group::wave us") < lines.index("2025-05-01T12:00:03Z wave us: started")
    assert lines.index("::endgroup::") > lines.index("2025-05-01T12:00:03Z wave canary: succeeded in 10.0s")


async def test_github_actions_annotates_a_failed_gate_in_one_line() -> None:
    world = World()
    out = io.StringIO()
    world.progress = GitHubProgress(out, now=lambda: NOON)  # type: ignore[assignment]
    world.http.status["https://c1.example.com/health"] = 503
    http = gate(http={"url": "https://{cluster}.example.com/health", "expectStatus": 200})
    the_plan = plan(wave("canary", cluster("c1", (("api",),)), gates=[http]))

    await run_sync(world, the_plan)

    errors = [line for line in out.getvalue().splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith("::error title=gate http c1 failed (wave canary)::")
    assert "503" in errors[0]
