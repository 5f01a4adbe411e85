"""The argocd engine against a real Argo CD: the pinned release's `install.yaml` (see
tests/data/argocd/SOURCES.md) applied to a kind cluster that is both the hub and the
destination (Argo CD's `in-cluster`), a chart served over HTTP from the host, `envman sync`,
an empty plan after it, an upgrade and `envman rollback` through Argo CD.

Needs the kind backend (`ENVMAN_TEST_BACKEND=kind`, Docker); skips otherwise. The manifest is
vendored and checked by its sha256.
Written without a Docker engine to run it on: only its skip paths have been exercised."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envman.cli import cli
from tests.conftest import HELM_BINARIES
from tests.e2e.backends import Backend

HUB = "argocd-hub"
MANIFEST = Path(__file__).resolve().parent.parent / "data" / "argocd" / "install.yaml"
SHA256 = "795a3a972224da6a7f9d32c3e946445f062b60fb46028476715affeb688236e3"
CHART = {
    "Chart.yaml": "apiVersion: v2\nname: settings\nversion: 1.0.0\n",
    "values.yaml": "greeting: hello\n",
    "templates/configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    ),
}
ENVIRONMENT = """
repositories:
  local: {url}
clusters:
  kind: {{region: local, context: {hub}, argocdName: in-cluster}}
apps:
  settings: {{chart: local/settings, version: 1.0.0, namespace: settings, values: {{greeting: {greeting}}}}}
rollout:
  engine: argocd
  argocd: {{context: {hub}}}
"""


def manifest() -> Path:
    """The vendored install.yaml, checked against its pinned sha256."""
    assert hashlib.sha256(MANIFEST.read_bytes()).hexdigest() == SHA256, "not the pinned install.yaml"
    return MANIFEST


def gateway() -> str:
    """The host's address on kind's docker network, which the kind node reaches."""
    out = subprocess.run(
        ["docker", "network", "inspect", "kind", "-f", "{{(index .IPAM.Config 0).Gateway}}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


@contextmanager
def chart_repository(folder: Path, host: str) -> Iterator[str]:
    """The test chart packaged and indexed in `folder`, served over HTTP at `host`."""
    source = folder / "src"
    for name, text in CHART.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    helm = str(HELM_BINARIES["helm4"])
    subprocess.run([helm, "package", str(source), "-d", str(folder)], check=True, capture_output=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer((host, 0), handler)  # the host's side of kind's network
    url = f"http://{host}:{server.server_address[1]}"
    subprocess.run([helm, "repo", "index", str(folder), "--url", url], check=True, capture_output=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield url
    finally:
        server.shutdown()


def test_sync_and_rollback_through_a_real_argo_cd(backend: Backend, tmp_path: Path) -> None:
    if backend.name != "kind":
        pytest.skip("a real Argo CD needs the kind backend (ENVMAN_TEST_BACKEND=kind)")
    install = manifest()
    kubectl_path = shutil.which("kubectl")
    if kubectl_path is None:
        pytest.skip("kubectl is not on PATH")
    with backend.clusters([HUB]) as clusters, chart_repository(tmp_path / "charts", gateway()) as url:

        def kubectl(*args: str) -> str:
            base = [kubectl_path, "--kubeconfig", str(clusters.kubeconfig), "--context", HUB]
            return subprocess.run([*base, *args], check=True, capture_output=True, text=True).stdout

        kubectl("create", "namespace", "argocd")
        kubectl("apply", "--server-side", "--force-conflicts", "-n", "argocd", "-f", str(install))
        for workload in ("deployment/argocd-repo-server", "statefulset/argocd-application-controller"):
            kubectl("-n", "argocd", "rollout", "status", workload, "--timeout=600s")
        root = tmp_path / "repo"
        spec = root / "environments" / "kind.yaml"
        spec.parent.mkdir(parents=True)

        def envman(*args: str) -> Result:
            argv = ["--no-color", "-C", str(root), "--kubeconfig", str(clusters.kubeconfig), *args]
            return CliRunner().invoke(cli, argv, catch_exceptions=False)

        def greeting() -> str:
            return json.loads(kubectl("-n", "settings", "get", "configmap", "settings", "-o", "json"))[
                "data"
            ]["greeting"]

        spec.write_text(ENVIRONMENT.format(url=url, hub=HUB, greeting="hello"))
        first = envman("sync", "kind")
        assert first.exit_code == 0, first.output
        app = json.loads(kubectl("-n", "argocd", "get", "application", "kind-kind-settings", "-o", "json"))
        assert app["status"]["sync"]["status"] == "Synced" and app["status"]["health"]["status"] == "Healthy"
        assert app["status"]["operationState"]["operation"]["initiatedBy"]["username"] == "envman"
        assert greeting() == "hello"
        assert envman("plan", "kind", "--detailed-exitcode").exit_code == 0

        spec.write_text(ENVIRONMENT.format(url=url, hub=HUB, greeting="bonjour"))
        assert envman("sync", "kind").exit_code == 0
        assert greeting() == "bonjour"
        back = envman("rollback", "kind", "--app", "settings")
        assert back.exit_code == 0, back.output
        assert greeting() == "hello"
        assert envman("plan", "kind", "--detailed-exitcode").exit_code == 2
