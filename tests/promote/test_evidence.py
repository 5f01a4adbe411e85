"""Evidence from the source clusters: through a fake at the `EvidenceSource` seam (compared
with an expected PR body), and end to end through helm against the sandbox."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from envman.adapters.helm.driver import HelmClients
from envman.adapters.target import KubeTarget
from envman.application.promotion import load_pair
from envman.kit.errors import KubeError
from envman.output.pr_body import body
from envman.plan.desired import ChartSource
from envman.promote.evidence import EvidenceSource, HealthHook, gather
from envman.promote.promotion import plan_promotion
from envman.rollout.ports import ReleaseRevision
from tests.conftest import EXAMPLE, HELM_BINARIES, copy_example
from tests.promote.gitrepo import init_repo, promote

CASES = Path(__file__).parent / "cases"
WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def revision(
    name: str, namespace: str, version: str, number: int = 3, status: str = "deployed"
) -> ReleaseRevision:
    return ReleaseRevision(name, namespace, number, status, name, version, "1.0", WHEN)


class FakeEvidence:
    """Releases and values per cluster; a cluster missing from `releases` is unreachable."""

    def __init__(
        self,
        releases: Mapping[str, list[ReleaseRevision]],
        values: Mapping[tuple[str, str], Mapping[str, Any]],
        health: HealthHook | None = None,
    ) -> None:
        self._releases, self._values, self.health = releases, values, health

    async def releases(self, cluster: str) -> Sequence[ReleaseRevision]:
        if cluster not in self._releases:
            raise KubeError(f"context {cluster}: cannot reach the API server (connection refused)")
        return self._releases[cluster]

    async def values(self, cluster: str, release: ReleaseRevision) -> Mapping[str, Any]:
        return self._values[(cluster, release.name)]


def test_fake_evidence_body() -> None:
    src, dst = load_pair(EXAMPLE, "staging", "prod")
    promotion = plan_promotion(src, dst, ["api", "web"])
    source: EvidenceSource = FakeEvidence(
        {"staging-use1": [revision("api", "api", "0.3.0"), revision("web", "web", "1.1.0", 5, "failed")]},
        {
            ("staging-use1", "api"): {"image": {"tag": "2.8.0"}},
            ("staging-use1", "web"): {"image": {"tag": "3.1.9"}},
        },
    )

    evidence = asyncio.run(gather(src, promotion, source))

    if os.environ.get("ENVMAN_REGEN_CASES") == "1":
        (CASES / "evidence.md").write_text(body(promotion, evidence))
    assert body(promotion, evidence) == (CASES / "evidence.md").read_text()


def test_health_hook_is_used_when_present() -> None:
    src, dst = load_pair(EXAMPLE, "staging", "prod")
    promotion = plan_promotion(src, dst, ["web"])

    async def health(cluster: str, release: ReleaseRevision) -> str:
        return f"healthy on {cluster}"

    live = {c: [revision("web", "web", "1.1.0")] for c in src.clusters}
    values = {(c, "web"): {"image": {"tag": "3.2.0"}} for c in src.clusters}
    evidence = asyncio.run(gather(src, promotion, FakeEvidence(live, values, health)))

    assert [r.health for c in evidence.clusters for r in c.releases] == [
        "healthy on staging-use1",
        "healthy on staging-euw1",
    ]
    assert evidence.warnings == []
    assert "not checked" not in body(promotion, evidence)


def test_a_slow_cluster_is_given_up() -> None:
    src, dst = load_pair(EXAMPLE, "staging", "prod")
    promotion = plan_promotion(src, dst, ["web"])

    class Slow(FakeEvidence):
        async def releases(self, cluster: str) -> Sequence[ReleaseRevision]:
            await asyncio.sleep(5)
            return []

    evidence = asyncio.run(gather(src, promotion, Slow({}, {}), timeout=0.05))

    assert [c.unavailable for c in evidence.clusters] == ["no answer within 0.05s"] * 2


def test_unreachable_helm_is_a_line_in_the_body(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_example(tmp_path / "work" / "example")
    init_repo(tmp_path / "work")
    monkeypatch.setenv("ENVMAN_HELM", str(tmp_path / "no-helm"))

    result = promote(tmp_path / "work" / "example", "staging", "prod", "--app", "web")

    assert result.exit_code == 0, result.output
    reason = f"helm not found: ENVMAN_HELM={tmp_path / 'no-helm'} is not an executable"
    assert result.stdout.endswith(
        "### Evidence from staging\n\n"
        f"- evidence unavailable for cluster staging-use1: {reason}\n"
        f"- evidence unavailable for cluster staging-euw1: {reason}\n"
    )


def test_sandbox_evidence_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    testing = pytest.importorskip("envman.sandbox.testing", reason="the sandbox is not available")
    helm = HELM_BINARIES["helm4"]
    if not helm.exists():
        pytest.skip(f"{helm} is missing: run scripts/setup")
    monkeypatch.setenv("ENVMAN_HELM", str(helm))
    root = copy_example(tmp_path / "work" / "example")
    init_repo(tmp_path / "work")
    with testing.running_sandbox(["staging-use1", "staging-euw1"]) as sandbox:
        tags = {"staging-use1": "3.2.0", "staging-euw1": "3.1.4"}
        asyncio.run(_install_web(sandbox.kubeconfig, tags))
        result = promote(
            root, "staging", "prod", "--app", "web", options=["--kubeconfig", str(sandbox.kubeconfig)]
        )

    assert result.exit_code == 0, result.output
    evidence = re.sub(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "<time>", result.stdout.split("### Evidence")[1]
    )
    assert evidence == (
        " from staging\n\n"
        "| cluster | app | chart version | revision | status | health | deployed |\n"
        "|---|---|---|---|---|---|---|\n"
        "| staging-use1 | web | 1.1.0 | 1 | deployed | not checked | <time> |\n"
        "| staging-euw1 | web | 1.1.0 | 1 | deployed | not checked | <time> |\n\n"
        "health: not checked (no workload health check is available yet)\n\n"
        "- warning: staging-euw1: web runs image.tag 3.1.4, not the promoted 3.2.0\n"
    )


async def _install_web(kubeconfig: Path, tags: Mapping[str, str]) -> None:
    clients = await HelmClients.from_env(os.environ)
    for cluster, tag in tags.items():
        helm = clients.for_target(KubeTarget(kubeconfig, cluster))
        chart = ChartSource(str(EXAMPLE / "charts" / "web"))
        await helm.upgrade_install("web", "web", chart, {"image": {"tag": tag}}, timeout=60, labels={})
