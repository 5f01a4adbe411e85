"""Live helm releases of a cluster read from helm's own storage: one LIST per cluster.

helm keeps each revision in a Secret `sh.helm.release.v1.<name>.v<revision>` labelled
`owner=helm`, `name`, `status`, `version` (plus the release's own labels); its `release` key
holds base64(gzip(JSON)). Only current revisions are listed (superseded ones are skipped by
the label selector), so one request returns every release with its values and chart version,
where `helm list` + `helm get values` per release would start one helm process each.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime
from typing import Any

from kubernetes import client

from envman.drivers.kube_client import ClusterTarget, KubeClients, call
from envman.errors import KubeError
from envman.plan.live import ClusterState, LiveRelease

CURRENT = "owner=helm,status in (deployed,failed,pending-install,pending-upgrade,pending-rollback)"
_STORAGE_LABELS = frozenset({"owner", "name", "status", "version", "modifiedAt", "createdAt"})


def read_cluster_state(clients: KubeClients, cluster: ClusterTarget) -> ClusterState:
    """Every current release of `cluster` (blocking: run it in a thread)."""
    core = client.CoreV1Api(clients.api(cluster))
    listing = call(
        cluster,
        "list helm releases",
        lambda: core.list_secret_for_all_namespaces(label_selector=CURRENT, _request_timeout=(5.0, 60.0)),
    )
    releases: dict[tuple[str, str], LiveRelease] = {}
    for secret in listing.items:
        data = str((secret.data or {}).get("release", ""))
        labels = (secret.metadata.labels if secret.metadata else None) or {}
        live = decode_release(data, labels, cluster)
        key = (live.namespace, live.name)
        if key not in releases or releases[key].revision < live.revision:
            releases[key] = live
    return ClusterState(cluster.name, releases)


def decode_release(data: str, labels: dict[str, str], cluster: ClusterTarget) -> LiveRelease:
    """A `LiveRelease` from the `release` key of a helm storage Secret (as the API returns it)."""
    try:
        raw = base64.b64decode(base64.b64decode(data))
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
    )


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
