"""Live helm releases of a cluster read from helm's own storage: one LIST per cluster.

helm keeps each revision in a Secret `sh.helm.release.v1.<name>.v<revision>` labelled
`owner=helm`, `name`, `status`, `version` (plus the release's own labels); its `release` key
holds base64(gzip(JSON)) (with `HELM_DRIVER=configmap`, a ConfigMap of the same shape). Only
current revisions are listed (superseded ones are skipped by
the label selector), so one request returns every release with its values and chart version,
where `helm list` + `helm get values` per release would start one helm process each.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from kubernetes import client

from envman.adapters.kube.client import KubeClients, call
from envman.adapters.target import ClusterTarget
from envman.kit.errors import KubeError
from envman.plan.cluster_state import ClusterState, LiveRelease

LIST_TIMEOUT = (5.0, 60.0)
CURRENT = "owner=helm,status in (deployed,failed,pending-install,pending-upgrade,pending-rollback)"
_STORAGE_LABELS = frozenset({"owner", "name", "status", "version", "modifiedAt", "createdAt"})


def storage_kind(environ: Mapping[str, str]) -> str:
    """helm's storage driver (`HELM_DRIVER`): `secret` (helm's default) or `configmap`."""
    driver = environ.get("HELM_DRIVER", "secret").lower().rstrip("s") or "secret"
    if driver not in ("secret", "configmap"):
        raise KubeError(
            f"HELM_DRIVER={environ['HELM_DRIVER']} is not supported: envman reads releases "
            "stored in Secrets (helm's default) or ConfigMaps"
        )
    return driver


def list_storage(
    clients: KubeClients, cluster: ClusterTarget, selector: str, namespace: str | None = None
) -> list[LiveRelease]:
    """The helm storage objects matching `selector`, decoded (blocking: run it in a thread)."""
    kind = storage_kind(os.environ)
    core = client.CoreV1Api(clients.api(cluster))
    resource = "secret" if kind == "secret" else "config_map"
    args: tuple[str, ...] = ()
    if namespace is None:
        method = getattr(core, f"list_{resource}_for_all_namespaces")
    else:
        method, args = getattr(core, f"list_namespaced_{resource}"), (namespace,)
    listing = call(
        cluster,
        "list helm releases",
        lambda: method(*args, label_selector=selector, _request_timeout=LIST_TIMEOUT),
    )
    found = []
    for item in listing.items:
        data = str((item.data or {}).get("release", ""))
        labels = (item.metadata.labels if item.metadata else None) or {}
        found.append(decode_release(data, labels, cluster, kubernetes_base64=kind == "secret"))
    return found


def read_cluster_state(clients: KubeClients, cluster: ClusterTarget) -> ClusterState:
    """Every current release of `cluster` (blocking: run it in a thread)."""
    releases: dict[tuple[str, str], LiveRelease] = {}
    deployed: dict[tuple[str, str], int] = {}
    for live in list_storage(clients, cluster, CURRENT):
        key = (live.namespace, live.name)
        if live.status == "deployed":
            deployed[key] = max(deployed.get(key, 0), live.revision)
        if key not in releases or releases[key].revision < live.revision:
            releases[key] = live
    return ClusterState(
        cluster.name,
        {key: replace(live, deployed_revision=deployed.get(key)) for key, live in releases.items()},
    )


def decode_release(
    data: str, labels: dict[str, str], cluster: ClusterTarget, *, kubernetes_base64: bool = True
) -> LiveRelease:
    """A `LiveRelease` from the `release` key of a helm storage object, as the API returns it
    (Secret data is base64-encoded once more by Kubernetes; ConfigMap data is not)."""
    try:
        raw = base64.b64decode(base64.b64decode(data) if kubernetes_base64 else data)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        release: dict[str, Any] = json.loads(raw)
    except (ValueError, OSError) as exc:
        raise KubeError(f"{cluster.describe()}: unreadable helm release storage: {exc}") from exc
    info = release.get("info") or {}
    metadata = (release.get("chart") or {}).get("metadata") or {}
    return LiveRelease(
        name=release.get("name", labels.get("name", "")),
        namespace=release.get("namespace", ""),
        revision=int(release.get("version", labels.get("version", 0))),
        status=info.get("status", labels.get("status", "unknown")),
        chart_name=metadata.get("name", ""),
        chart_version=metadata.get("version", ""),
        values=release.get("config") or {},
        labels={k: v for k, v in labels.items() if k not in _STORAGE_LABELS},
        updated=_time(info.get("last_deployed")),
        manifest=release.get("manifest", ""),
        hooks=_hooks(release.get("hooks")),
        app_version=str(metadata.get("appVersion") or ""),
        description=str(info.get("description") or ""),
    )


def _hooks(hooks: Any) -> str:
    """The hooks' manifests as one YAML stream, in helm's order."""
    if not isinstance(hooks, list):
        return ""
    return "\n---\n".join(str(h.get("manifest", "")) for h in hooks if isinstance(h, dict))


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
