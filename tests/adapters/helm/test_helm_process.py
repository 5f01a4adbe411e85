"""A cancelled helm is reaped without a hang, in its own process group."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envman.adapters.helm.process import HelmCommand
from envman.adapters.target import KubeTarget

CHATTY = """#!{python}
import os, sys, time
open({pgid!r}, "w").write(str(os.getpgid(0)))
sys.stdout.write("x" * (3 << 20))  # more than a pipe holds: it blocks until read
sys.stdout.flush()
time.sleep(60)
"""


def chatty_helm(tmp_path: Path) -> tuple[Path, Path]:
    pgid = tmp_path / "pgid"
    script = tmp_path / "helm"
    script.write_text(CHATTY.format(python=sys.executable, pgid=str(pgid)))
    script.chmod(0o755)
    return script, pgid


async def test_a_cancelled_helm_with_full_pipes_is_reaped_promptly(tmp_path: Path) -> None:
    script, pgid = chatty_helm(tmp_path)
    command = HelmCommand(script, KubeTarget())
    task = asyncio.create_task(command.exec(["template", "x"]))
    while not pgid.exists():
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    start = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - start < 5
    assert int(pgid.read_text()) != os.getpgid(0)  # its own process group: a terminal's Ctrl-C spares it


SLOW_READER = """#!{python}
import sys, time
time.sleep(1.5)  # envman is gone by now
open({out!r}, "wb").write(sys.stdin.buffer.read())
"""
DRIVER = """
import asyncio, os, signal, sys
from pathlib import Path
from envman.adapters.helm.process import HelmCommand
from envman.adapters.target import KubeTarget
spawn = asyncio.create_subprocess_exec
async def spawn_then_die(*args, **kwargs):
    await spawn(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # envman killed the moment helm started
asyncio.create_subprocess_exec = spawn_then_die
asyncio.run(HelmCommand(Path(sys.argv[1]), KubeTarget()).exec(["upgrade"], sys.argv[2].encode() * 1000))
"""


def test_helm_gets_its_whole_values_even_when_envman_dies_right_after_starting_it(tmp_path: Path) -> None:
    out = tmp_path / "values.yaml"
    script = tmp_path / "helm"
    script.write_text(SLOW_READER.format(python=sys.executable, out=str(out)))
    script.chmod(0o755)
    driver = subprocess.run([sys.executable, "-c", DRIVER, str(script), "tag: 2.7.1\n"], check=False)
    assert driver.returncode == -9
    deadline = time.monotonic() + 10
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    assert out.read_bytes() == b"tag: 2.7.1\n" * 1000  # 11 kB, all of it
