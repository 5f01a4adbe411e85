"""A cancelled helm is reaped without a hang, in its own process group."""

from __future__ import annotations

import asyncio
import os
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
