"""A cancelled helm is reaped without a hang, in its own process group; render failures are
reported together, the other renders still finish."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from envman.adapters.helm.process import HelmCommand
from envman.adapters.target import KubeTarget
from envman.application.rendering import render_releases
from envman.kit.errors import HelmError
from envman.plan.desired import ChartSource, DesiredRelease

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


class _Templater:
    def __init__(self) -> None:
        self.finished: list[str] = []

    async def template(
        self,
        release: str,
        namespace: str,
        chart: ChartSource,
        values: Mapping[str, Any],
        *,
        hooks: bool = False,
    ) -> str:
        if release.startswith("bad"):
            await asyncio.sleep(0.01)
            raise HelmError(f"helm template {release}: Error: execution error: bad {release}")
        await asyncio.sleep(0.2)
        self.finished.append(release)
        return f"kind: ConfigMap\nmetadata: {{name: {release}}}\n"


def desired(name: str) -> DesiredRelease:
    return DesiredRelease("c1", "r1", name, name, "ns", ChartSource(f"/charts/{name}"), {})


async def test_render_failures_are_reported_together_and_nothing_is_left_running() -> None:
    helm = _Templater()
    with pytest.raises(HelmError) as failed:
        await render_releases([desired("bad-a"), desired("good"), desired("bad-b")], helm)
    assert str(failed.value).splitlines() == [
        "helm template bad-a: Error: execution error: bad bad-a",
        "helm template bad-b: Error: execution error: bad bad-b",
    ]
    assert helm.finished == ["good"]
