"""Where the e2e suite's clusters come from: the in-process sandbox, or real kind clusters.

`ENVMAN_TEST_BACKEND` picks the backends the e2e tests run against, the same tests for each:
`sandbox` (the default: no Docker, milliseconds per cluster), `kind`, or `all`. A kind backend
is skipped with "no Docker engine: kind backend skipped" where `docker info` fails.

Plugin choice: pytest-kind-ng, not pytest-kind. pytest-kind's last release is 22.11.1 (2022,
Python classifiers up to 3.10, codeberg.org/hjacobs); pytest-kind-ng (kr8s-org) is its
maintained fork, released in 2026 and declaring Python 3.8 to 3.14. Both ship the same
`pytest_kind` package with the same `KindCluster` API (create / kubectl / delete /
kubeconfig_path), so moving between them needs no code change here, and they cannot be
installed side by side. Its `kind_cluster` fixture holds ONE session cluster, but an
environment needs one cluster per spec cluster, so this module drives `KindCluster` directly.

The kind backend is heavy: one kind cluster (one node container, ~0.5-1 GB of memory and
30-60 s to create) per environment cluster, 5 for `prod`. They are created once per pytest
session (per xdist worker: prefer `-n 0` with kind) and deleted at its end unless
`ENVMAN_KIND_KEEP=1`; before each test every helm release, envman lock and test namespace
is removed, so each test starts from empty clusters as with the sandbox. Tests that use the
sandbox's fault injection or request counters (`fail`, `heal`, `requests`, ...) skip on kind.

It was written without a Docker engine to run it on: only its skip path has been exercised.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, Protocol

import pytest
from ruamel.yaml import YAML

from envman.sandbox.api import ApiSnapshot
from envman.sandbox.controllers.failures import DEFAULT_MODE
from envman.sandbox.testing import RunningSandbox, running_sandbox
from tests.conftest import HELM_BINARIES

BACKEND_ENV = "ENVMAN_TEST_BACKEND"
CHOICES = {"sandbox": ("sandbox",), "kind": ("kind",), "all": ("sandbox", "kind")}
NO_DOCKER = "no Docker engine: kind backend skipped"
NO_PLUGIN = "pytest-kind-ng is not installed (pip install -e '.[kind]'): kind backend skipped"
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease", "local-path-storage"}


def selected_backends() -> list[Any]:
    """The fixture params: kind ones carry the `kind` marker (`-m "not kind"` drops them)."""
    value = os.environ.get(BACKEND_ENV, "sandbox")
    if value not in CHOICES:
        raise pytest.UsageError(f"{BACKEND_ENV}={value!r}: expected one of {', '.join(CHOICES)}")
    return [pytest.param(name, marks=pytest.mark.kind) if name == "kind" else name for name in CHOICES[value]]


def docker_running() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _sandbox_only(what: str) -> NoReturn:
    pytest.skip(f"{what} needs the sandbox (kind backend)")


class KindClusters:
    """Running kind clusters behind one kubeconfig whose contexts are named as the spec's
    clusters; the sandbox-only parts of `RunningSandbox` skip the test."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig

    @property
    def sandbox(self) -> NoReturn:
        _sandbox_only("direct sandbox access")

    @property
    def ports(self) -> NoReturn:
        _sandbox_only("the cluster ports")

    def server(self, cluster: str) -> NoReturn:
        _sandbox_only("the cluster address")

    def fail(self, cluster: str, app: str | None = None, mode: str = DEFAULT_MODE) -> NoReturn:
        _sandbox_only("fault injection")

    def heal(self, cluster: str) -> NoReturn:
        _sandbox_only("fault injection")

    def requests(self, cluster: str) -> NoReturn:
        _sandbox_only("request counting")

    def reset_counters(self) -> NoReturn:
        _sandbox_only("request counting")


Clusters = RunningSandbox | KindClusters
"""What the `prod` fixture's `Fleet.sandbox` holds: `.kubeconfig` works on every backend."""


class Backend(Protocol):
    name: str

    def clusters(
        self, names: Sequence[str], restore: Mapping[str, ApiSnapshot] | None = None
    ) -> contextlib.AbstractContextManager[Clusters]:
        """The clusters `names`, empty or (sandbox only) holding what `restore` says."""
        ...


class SandboxBackend:
    name = "sandbox"

    def clusters(
        self, names: Sequence[str], restore: Mapping[str, ApiSnapshot] | None = None
    ) -> contextlib.AbstractContextManager[Clusters]:
        return running_sandbox(names, restore=restore)


class KindBackend:
    """One kind cluster per spec cluster, created on first use and kept for the session."""

    name = "kind"

    def __init__(self, kind_cluster: Any, workdir: Path) -> None:
        self._kind_cluster = kind_cluster  # pytest_kind.KindCluster
        self._workdir = workdir
        self._prefix = f"envman-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
        self._running: dict[str, Any] = {}

    def _cluster(self, name: str) -> Any:
        if name not in self._running:
            tools = {
                "kind_path": _tool("kind", self._workdir / "kind"),
                "kubectl_path": _tool("kubectl", self._workdir / "kubectl"),
            }
            with contextlib.chdir(self._workdir):  # KindCluster makes ./.pytest-kind/<name>/
                cluster = self._kind_cluster(
                    self._prefix + name, self._workdir / f"{name}.kubeconfig", **tools
                )
            cluster.create()  # re-uses a kind cluster of that name left by ENVMAN_KIND_KEEP=1
            self._running[name] = cluster
        return self._running[name]

    @contextlib.contextmanager
    def clusters(
        self, names: Sequence[str], restore: Mapping[str, ApiSnapshot] | None = None
    ) -> Iterator[Clusters]:
        assert restore is None, "kind clusters start empty"
        kind = {name: self._cluster(name) for name in names}
        kubeconfig = _merged_kubeconfig(self._workdir / f"kubeconfig-{len(names)}", kind)
        for name, cluster in kind.items():
            _reset(cluster, kubeconfig, name)
        yield KindClusters(kubeconfig)

    def close(self) -> None:
        if os.environ.get("ENVMAN_KIND_KEEP") != "1":
            for cluster in self._running.values():
                cluster.delete()


def _tool(name: str, download_to: Path) -> Path:
    found = shutil.which(name)
    return Path(found) if found else download_to.resolve()  # KindCluster downloads it there


def _merged_kubeconfig(path: Path, kind: dict[str, Any]) -> Path:
    """One kubeconfig for every cluster, each kind context renamed to its spec cluster name."""
    yaml = YAML(typ="safe")
    merged: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "contexts": [],
        "users": [],
    }
    for name, cluster in kind.items():
        config = yaml.load(Path(cluster.kubeconfig_path).read_text())
        (context,) = config["contexts"]
        merged["clusters"] += config["clusters"]
        merged["users"] += config["users"]
        merged["contexts"].append({**context, "name": name})
    merged["current-context"] = next(iter(kind))
    path.write_text(json.dumps(merged, indent=2))  # JSON is YAML, for helm and the kube client
    path.chmod(0o600)
    return path


def _reset(cluster: Any, kubeconfig: Path, context: str) -> None:
    """Empty a kind cluster of what an earlier test left: helm releases (cluster-scoped
    objects such as CRDs go with them), envman's locks, test namespaces."""
    helm = [str(HELM_BINARIES["helm4"]), "--kubeconfig", str(kubeconfig), "--kube-context", context]
    listed = subprocess.run(
        [*helm, "list", "-A", "-a", "-o", "json"], check=True, capture_output=True, text=True
    )
    for release in json.loads(listed.stdout or "[]"):
        subprocess.run(
            [*helm, "uninstall", release["name"], "-n", release["namespace"], "--wait"],
            check=True,
            capture_output=True,
        )
    leases = cluster.kubectl("get", "leases", "-n", "default", "-o", "name").split()
    locks = [lease for lease in leases if lease.split("/")[-1].startswith("envman-")]
    if locks:
        cluster.kubectl("delete", "-n", "default", *locks)
    namespaces = {n.split("/")[-1] for n in cluster.kubectl("get", "namespaces", "-o", "name").split()}
    if extra := sorted(namespaces - SYSTEM_NAMESPACES):
        cluster.kubectl("delete", "namespace", "--wait", *extra)


@pytest.fixture(scope="session", params=selected_backends(), name="backend")
def backend_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """Each backend `ENVMAN_TEST_BACKEND` selects (sandbox by default)."""
    if request.param == "sandbox":
        yield SandboxBackend()
        return
    if not docker_running():
        pytest.skip(NO_DOCKER)
    pytest_kind = pytest.importorskip("pytest_kind", reason=NO_PLUGIN)
    kind = KindBackend(pytest_kind.KindCluster, tmp_path_factory.mktemp("kind"))
    try:
        yield kind
    finally:
        kind.close()
