"""Fixtures for the sandbox tests: a running sandbox and helm runners for both versions."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client, config

from envman.sandbox.testing import RunningSandbox, running_sandbox

VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
CHARTS = Path(__file__).resolve().parent / "charts"
HELMS = {"helm4": VENV_BIN / "helm", "helm3": VENV_BIN / "helm3"}


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    """Two emulated clusters, `alpha` and `beta`, with a 50 ms pod ready delay."""
    with running_sandbox(["alpha", "beta"]) as running:
        yield running


@pytest.fixture
def kube(sandbox: RunningSandbox) -> Iterator[client.ApiClient]:
    """The official kubernetes client on the sandbox's `alpha` cluster."""
    api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
        str(sandbox.kubeconfig), context="alpha"
    )
    yield api_client
    api_client.close()


@dataclass
class Helm:
    """Runs one helm binary against the sandbox with isolated helm homes."""

    binary: Path
    env: dict[str, str]
    context: str = "alpha"

    @property
    def major(self) -> int:
        return 3 if self.binary.name == "helm3" else 4

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.binary), "--kube-context", self.context, *args]
        result = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if check and result.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture(params=sorted(HELMS))
def helm(request: pytest.FixtureRequest, sandbox: RunningSandbox, tmp_path: Path) -> Helm:
    """helm 4 and helm 3, each pointed at the `sandbox` fixture's kubeconfig."""
    binary = HELMS[str(request.param)]
    if not binary.exists():
        pytest.skip(f"{binary} is not installed")
    env = {
        **os.environ,
        "KUBECONFIG": str(sandbox.kubeconfig),
        "HELM_CACHE_HOME": str(tmp_path / "cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "config"),
        "HELM_DATA_HOME": str(tmp_path / "data"),
    }
    return Helm(binary, env)


ChartPath = Callable[[str], str]


def history(helm: Helm, release: str, namespace: str) -> list[dict[str, object]]:
    out = helm.run("history", release, "-n", namespace, "-o", "json").stdout
    return list(json.loads(out))


def deploy(helm: Helm, release: str, path: str, *args: str, check: bool = True, timeout: str = "30s") -> int:
    """`helm upgrade --install --wait` into namespace `apps`; its exit code."""
    result = helm.run(
        "upgrade",
        "--install",
        release,
        path,
        "-n",
        "apps",
        "--create-namespace",
        "--wait",
        "--timeout",
        timeout,
        *args,
        check=check,
    )
    return result.returncode


@pytest.fixture
def chart() -> ChartPath:
    return lambda name: str(CHARTS / name)
