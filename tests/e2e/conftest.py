"""End-to-end fixtures: a copy of the bundled example served by a sandbox, real helm."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envman.adapters.helm.binary import locate_helm
from envman.adapters.helm.driver import HelmDriver
from envman.adapters.target import KubeTarget
from envman.application.fleet_state import desired_state
from envman.cli import cli
from envman.kit.redact import Redactor
from envman.plan.cluster_state import managed_labels
from envman.plan.fleet import resolve
from envman.plan.select import select
from envman.sandbox.api import ApiSnapshot
from envman.sandbox.testing import RunningSandbox
from envman.spec.loader import load_environment
from tests.conftest import copy_example
from tests.e2e.backends import Backend, Clusters, backend_fixture  # noqa: F401 (fixture `backend`)

SECRETS = {"API_DB_PASSWORD": "hunter2-api-secret", "POSTGRES_PASSWORD": "pg-s3cret-value"}
PROD_CLUSTERS = ["prod-use1-canary", "prod-use1", "prod-euw1", "prod-euw1-b", "prod-apse1"]


@dataclass
class Fleet:
    """A writable copy of the example, its sandbox, and the helm binary under test."""

    root: Path
    sandbox: Clusters
    helm: Path

    def envman(self, *args: str) -> Result:
        argv = ["--no-color", "-C", str(self.root), "--kubeconfig", str(self.sandbox.kubeconfig), *args]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    def run_helm(self, cluster: str, *args: str) -> None:
        """Run the real helm against one sandbox cluster, as a person would by hand."""
        kube = ["--kube-context", cluster, "--kubeconfig", str(self.sandbox.kubeconfig)]
        subprocess.run([str(self.helm), *kube, *args], check=True, capture_output=True)

    def driver(self, cluster: str) -> HelmDriver:
        return HelmDriver(
            locate_helm({"ENVMAN_HELM": str(self.helm)}), KubeTarget(self.sandbox.kubeconfig, cluster)
        )

    def apply(self, *clusters: str, environment: str = "prod") -> None:
        """Install every release of `clusters` (default: all) at its planned values, layer by
        layer, as sync does."""
        fleet = resolve(load_environment(self.root, environment))
        desired = desired_state(fleet, select(fleet.env, clusters), Redactor())

        async def run() -> None:
            for cluster, releases in desired.items():
                helm = self.driver(cluster)
                for layer in fleet.layers[cluster]:
                    await asyncio.gather(
                        *(
                            helm.upgrade_install(
                                r.release,
                                r.namespace,
                                r.chart,
                                r.values,
                                timeout=60,
                                labels=managed_labels(environment, r.app),
                            )
                            for r in (releases[a] for a in layer if a in releases)
                        )
                    )

        asyncio.run(run())

    def edit(self, path: str, old: str, new: str) -> None:
        target = self.root / path
        text = target.read_text()
        assert old in text, f"{old!r} not in {path}"
        target.write_text(text.replace(old, new, 1))


def fast(prod: Fleet, timeout: str = "60s") -> None:
    """Shorter helm and gate timeouts and bake (`timeout` is ample on a loaded machine; a
    test that waits for a failure shortens it after its first, healthy sync)."""
    fast_files(prod.root, timeout)


def fast_files(root: Path, timeout: str = "60s") -> None:
    """`fast` on the example's files at `root`."""
    for name in ("base.yaml", "prod.yaml"):
        path = root / "environments" / name
        text = re.sub(r"timeout: \d+[ms]", f"timeout: {timeout}", path.read_text())
        path.write_text(text.replace("bake: 30s", "bake: 2s"))


def synced(prod: Fleet) -> None:
    result = prod.envman("sync", "prod")
    assert result.exit_code == 0, result.output


_SYNCED: dict[Path, Mapping[str, ApiSnapshot]] = {}
"""The sandbox's clusters right after `envman sync prod` of the example (after `fast`), by
helm binary: each xdist worker syncs once per helm, and every `synced_prod` test then starts
from a copy of that state instead of syncing again (`@pytest.mark.synced`)."""


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    copy_example(root)
    return root


@pytest.fixture
def prod(
    request: pytest.FixtureRequest,
    example_copy: Path,
    helm_binary: Path,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Fleet]:
    """A copy of the example, the backend's clusters of prod, and the helm under test. Marked
    `@pytest.mark.synced`, the test starts after `fast` and a successful `envman sync prod`:
    on the sandbox the clusters then start from a copy of the first such sync of this worker
    and helm (objects, field managers, helm's storage, the verification records), on kind
    every such test syncs."""
    _environ(monkeypatch, tmp_path)
    if request.node.get_closest_marker("synced") is None:
        with backend.clusters(PROD_CLUSTERS) as clusters:
            yield Fleet(example_copy, clusters, helm_binary)
        return
    fast_files(example_copy)
    snapshot = _SYNCED.get(helm_binary) if backend.name == "sandbox" else None
    with backend.clusters(PROD_CLUSTERS, restore=snapshot) as clusters:
        fleet = Fleet(example_copy, clusters, helm_binary)
        if snapshot is None:
            synced(fleet)
            if isinstance(clusters, RunningSandbox):
                _SYNCED[helm_binary] = clusters.snapshot()
        yield fleet


def _environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The secrets' variables, and helm homes of the test's own."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    for home in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(home, str(tmp_path / home.lower()))
