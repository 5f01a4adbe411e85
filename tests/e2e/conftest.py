"""End-to-end fixtures: a copy of the bundled example served by a sandbox, real helm."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
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


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    copy_example(root)
    return root


@pytest.fixture
def prod(
    example_copy: Path,
    helm_binary: Path,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Fleet]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    for home in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(home, str(tmp_path / home.lower()))
    with backend.clusters(PROD_CLUSTERS) as sandbox:
        yield Fleet(example_copy, sandbox, helm_binary)
