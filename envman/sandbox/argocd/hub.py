"""The hub: one more sandbox cluster where Argo CD "runs". It serves Argo CD's Application and
AppProject CRDs, holds the `default` AppProject and a cluster Secret per destination in Argo CD's
namespace, and runs the emulated application controller (`controller`).

`HubSettings` is what a caller asks for (see `envman.sandbox.manager.up`, `Sandbox(hub=...)`
and `envman.sandbox.testing.running_sandbox(hub=...)`).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envman.kit.errors import HelmError
from envman.kit.tools import find_helm
from envman.sandbox.api import Api
from envman.sandbox.argocd.controller import ApplicationController
from envman.sandbox.argocd.definitions import API_VERSION, SECRET_TYPE_LABEL, crd
from envman.sandbox.argocd.sources import SourceError
from envman.sandbox.kubeconfig import HOST

Obj = dict[str, Any]

DEFAULT_CONTEXT = "argocd-hub"
DEFAULT_NAMESPACE = "argocd"
_SECRET_NAME = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class HubSettings:
    """An emulated Argo CD hub, served as one more context of the sandbox.

    - `context`: the hub's cluster (and kubeconfig context) name.
    - `namespace`: Argo CD's namespace on the hub (Applications, cluster Secrets, AppProjects).
    - `destinations`: Argo CD cluster name -> the sandbox cluster (context) it points at; one
      cluster Secret each. Empty: every other cluster of the sandbox under its own name.
    - `resync_seconds`: every Application is compared again this often (besides on changes).
    - `pod_health`: also count the Degraded pods of an Application's workloads (ImagePullBackOff,
      CrashLoopBackOff...) in its health, so a failing release shows as Degraded at once. Argo CD
      itself shows those pods Degraded in its resource tree but keeps the app Progressing until
      the Deployment's progress deadline (600 s by default); False gives exactly that.
    """

    context: str = DEFAULT_CONTEXT
    namespace: str = DEFAULT_NAMESPACE
    destinations: Mapping[str, str] = field(default_factory=dict)
    resync_seconds: float = 10.0
    pod_health: bool = True

    def to_json(self) -> Obj:
        return {
            "context": self.context,
            "namespace": self.namespace,
            "destinations": dict(self.destinations),
            "resync_seconds": self.resync_seconds,
            "pod_health": self.pod_health,
        }

    @classmethod
    def from_json(cls, doc: Obj) -> HubSettings:
        return cls(
            context=str(doc["context"]),
            namespace=str(doc["namespace"]),
            destinations={str(k): str(v) for k, v in (doc.get("destinations") or {}).items()},
            resync_seconds=float(doc.get("resync_seconds", 10.0)),
            pod_health=bool(doc.get("pod_health", True)),
        )

    def destinations_among(self, clusters: Mapping[str, object]) -> dict[str, str]:
        """Argo CD cluster name -> sandbox cluster, checked against the sandbox's `clusters`."""
        chosen = dict(self.destinations) or {name: name for name in clusters if name != self.context}
        unknown = sorted(c for c in chosen.values() if c not in clusters or c == self.context)
        if unknown:
            raise ValueError(f"the hub's destination {unknown[0]!r} is not a cluster of this sandbox")
        return chosen


def server_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def cluster_secret(namespace: str, name: str, server: str) -> Obj:
    """An Argo CD cluster Secret (as `argocd cluster add` writes one) for the sandbox's cluster."""
    config = {"bearerToken": "sandbox", "tlsClientConfig": {"insecure": False}}
    return {
        "metadata": {
            "name": f"cluster-{_SECRET_NAME.sub('-', name.lower()).strip('-')[:50]}",
            "namespace": namespace,
            "labels": {SECRET_TYPE_LABEL: "cluster"},
        },
        "type": "Opaque",
        "data": {"name": _b64(name), "server": _b64(server), "config": _b64(json.dumps(config))},
    }


def default_project(namespace: str) -> Obj:
    """The `default` AppProject Argo CD creates: any source, any destination, any kind."""
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"namespace": "*", "server": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


def _helm() -> Path:
    """The helm envman would use (`ENVMAN_HELM`, PATH, beside the interpreter)."""
    try:
        return find_helm(os.environ)
    except HelmError as exc:
        raise SourceError(str(exc)) from exc


class Hub:
    """The hub cluster's Argo CD: its objects installed at once, its controller started by `start`."""

    def __init__(self, settings: HubSettings, apis: Mapping[str, Api], ports: Mapping[str, int]) -> None:
        self.settings = settings
        self.api = apis[settings.context]
        destinations = settings.destinations_among(apis)
        self._workdir = Path(tempfile.mkdtemp(prefix="envman-argocd-"))
        self._install(destinations, ports)
        self.controller = ApplicationController(
            self.api,
            settings.namespace,
            {server_url(ports[name]): apis[name] for name in apis if name != settings.context},
            workdir=self._workdir,
            helm=_helm,
            resync_seconds=settings.resync_seconds,
            pod_health=settings.pod_health,
        )

    def _install(self, destinations: Mapping[str, str], ports: Mapping[str, int]) -> None:
        api, namespace = self.api, self.settings.namespace
        for kind in ("Application", "AppProject"):
            api.insert("customresourcedefinitions", crd(kind), "apiextensions.k8s.io")
        api.insert("namespaces", {"metadata": {"name": namespace}})
        api.insert("appprojects", default_project(namespace), "argoproj.io")
        for name, cluster in destinations.items():
            api.insert("secrets", cluster_secret(namespace, name, server_url(ports[cluster])))

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)
