"""Rendering runs each distinct (release, chart, values) once, distinct ones concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from envman.application.rendering import render_releases
from envman.kit.errors import HelmError
from envman.plan.desired import ChartSource, DesiredRelease


class RecordingHelm:
    """A fake at our own Protocol seam: records template calls, tracks concurrency."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.running = 0
        self.peak = 0
        self.failing: set[str] = set()
        """Releases whose render fails at once (as `helm template` with a `fail` does)."""
        self.finished: list[str] = []

    async def template(
        self,
        release: str,
        namespace: str,
        chart: ChartSource,
        values: Mapping[str, Any],
        *,
        hooks: bool = False,
        is_upgrade: bool = False,
    ) -> str:
        self.calls.append((release, dict(values)))
        if release in self.failing:
            raise HelmError(f"helm template {release}: Error: execution error: bad {release}")
        self.running += 1
        self.peak = max(self.peak, self.running)
        await asyncio.sleep(0.01)
        self.running -= 1
        self.finished.append(release)
        return f"{release} {values.get('tag')}"


def release(cluster: str, app: str, tag: str) -> DesiredRelease:
    return DesiredRelease(cluster, "r", app, app, "ns", ChartSource("charts/x", "1.0.0"), {"tag": tag})


async def test_identical_inputs_render_once() -> None:
    helm = RecordingHelm()
    releases = [release(c, "api", "1") for c in ("a", "b", "c")] + [
        release("d", "api", "2"),
        release("a", "web", "1"),
    ]
    manifests = await render_releases(releases, helm)
    assert manifests == ["api 1", "api 1", "api 1", "api 2", "web 1"]
    assert sorted(c[0] + c[1]["tag"] for c in helm.calls) == ["api1", "api2", "web1"]
    assert helm.peak == 3, "distinct renders run concurrently"


async def test_parallel_limit_is_kept() -> None:
    helm = RecordingHelm()
    releases = [release("a", f"app{i}", "1") for i in range(9)]
    await render_releases(releases, helm, parallel=2)
    assert helm.peak == 2 and len(helm.calls) == 9


async def test_render_failures_are_reported_together_and_the_other_renders_finish() -> None:
    helm = RecordingHelm()
    helm.failing = {"bad-a", "bad-b"}
    releases = [release("a", "bad-a", "1"), release("a", "good", "1"), release("a", "bad-b", "1")]
    with pytest.raises(HelmError) as failed:
        await render_releases(releases, helm)
    assert str(failed.value).splitlines() == [
        "helm template bad-a: Error: execution error: bad bad-a",
        "helm template bad-b: Error: execution error: bad bad-b",
    ]
    assert helm.finished == ["good"]
