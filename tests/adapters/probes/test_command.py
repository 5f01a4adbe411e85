"""The command runner with real processes: exit codes, output tail, timeout kill, no shell."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
from pathlib import Path

import pytest

from envman.adapters.clock import SystemClock
from envman.adapters.probes.command import SubprocessRunner
from envman.gates.command import Command
from envman.gates.ports import ProbeError
from envman.rollout.engine import sync
from tests.rollout.fakes import World, cluster, gate, options, plan, wave

PY = sys.executable


async def test_exit_code_and_the_last_twenty_lines_of_output() -> None:
    script = "import sys\nfor i in range(1, 31): print(f'line {i}', file=sys.stderr if i % 2 else sys.stdout)\nsys.exit(3)"

    code, tail = await SubprocessRunner().run([PY, "-c", script], 10, "/")

    assert code == 3
    assert tail.splitlines() == [f"line {i}" for i in range(11, 31)]


async def test_runs_in_cwd_without_a_shell(tmp_path: Path) -> None:
    script = tmp_path / "smoke.sh"
    script.write_text('#!/bin/sh\necho "in $(pwd) with $1"\n')
    script.chmod(0o755)

    assert await SubprocessRunner().run(["./smoke.sh", "$HOME; rm -rf /"], 10, str(tmp_path)) == (
        0,
        f"in {tmp_path} with $HOME; rm -rf /",
    )


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"echo started; sleep 30 & echo $! > {pid_file}; wait"
    start = time.monotonic()

    code, tail = await SubprocessRunner().run(["sh", "-c", script], 0.5, str(tmp_path))

    assert code is None and tail == "started"
    assert time.monotonic() - start < 3
    child = int(pid_file.read_text())
    await asyncio.sleep(0.1)
    assert not _alive(child)


async def test_cancelling_kills_the_command(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.ensure_future(
        SubprocessRunner().run(["sh", "-c", f"echo $$ > {pid_file}; sleep 30"], 60, "/")
    )
    while not pid_file.exists() or not pid_file.read_text().strip():
        await asyncio.sleep(0.02)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert not _alive(int(pid_file.read_text()))


async def test_a_missing_program_is_a_probe_error() -> None:
    with pytest.raises(ProbeError, match=r"cannot start '\./nope\.sh' in /: No such file"):
        await SubprocessRunner().run(["./nope.sh"], 5, "/")


async def test_command_gate_reports_the_output_tail(tmp_path: Path) -> None:
    world = World()
    world.helm.seconds = 0
    ports = dataclasses.replace(
        world.ports(),
        probes=world.probes().with_probe(Command.probe, SubprocessRunner()),
        clock=SystemClock(),
    )
    check = [PY, "-c", "import sys; print('checking', sys.argv[1]); sys.exit(1)", "{cluster}"]
    the_plan = plan(wave("canary", cluster("c1", (("api",),)), gates=[gate(command={"run": check})]))

    report = await sync(the_plan, ports, options(root=tmp_path))

    (record,) = report.waves[0].gates
    assert (record.result, record.cluster) == ("failed", "c1")
    assert record.detail == f"{PY} exited 1\nchecking c1"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
