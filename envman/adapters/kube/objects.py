"""Live objects of releases, read with a bounded number of requests per cluster.

For the objects of every release's stored manifest, one LIST per kind and namespace in use
(cluster-wide for cluster-scoped kinds), after discovery of each group/version once, never
a GET per object. Objects come back as the API server's JSON (dicts). Blocking: run in a
worker thread.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from envman.adapters.kube.client import KubeClients, call
from envman.adapters.target import ClusterTarget
from envman.kit.errors import KubeError
from envman.plan.manifests import ObjectRef

LIST_TIMEOUT = (5.0, 60.0)


@dataclass(frozen=True)
class Resource:
    plural: str
    namespaced: bool


@dataclass
class ClusterApi:
    """Raw JSON requests to one cluster, with its discovery cached."""

    clients: KubeClients
    cluster: ClusterTarget
    _kinds: dict[str, dict[str, Resource]] = field(default_factory=dict)

    def get(self, path: str, what: str) -> Any:
        """The JSON answer to a GET of `path`; a `KubeError` for any failure."""
        api = self.clients.api(self.cluster)

        def request() -> Any:
            method, url, headers, body, _ = api.param_serialize(
                "GET", path, auth_settings=["BearerToken"], header_params={"Accept": "application/json"}
            )
            response = api.call_api(method, url, headers, body, _request_timeout=LIST_TIMEOUT)
            response.read()  # type: ignore[no-untyped-call]
            if not 200 <= response.status < 300:
                raise ApiException(status=response.status, reason=response.reason)
            return json.loads(response.data or b"{}")

        return call(self.cluster, what, request)

    def resource(self, api_version: str, kind: str) -> Resource | None:
        """How `kind` of `api_version` is served; None when the cluster does not serve it."""
        if api_version not in self._kinds:
            self._kinds[api_version] = self._discover(api_version)
        return self._kinds[api_version].get(kind)

    def _discover(self, api_version: str) -> dict[str, Resource]:
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            listing = self.get(path, f"discover {api_version}")
        except KubeError as exc:  # a group the cluster does not serve answers 404
            if _not_found(exc):
                return {}
            raise
        return {
            r["kind"]: Resource(r["name"], bool(r.get("namespaced")))
            for r in listing.get("resources", [])
            if "/" not in r.get("name", "")
        }

    def list(self, api_version: str, kind: str, namespace: str) -> list[dict[str, Any]]:
        resource = self.resource(api_version, kind)
        if resource is None:
            return []
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        scope = f"/namespaces/{namespace}" if resource.namespaced and namespace else ""
        listing = self.get(f"{base}{scope}/{resource.plural}", f"list {kind} in {namespace or 'the cluster'}")
        items: list[dict[str, Any]] = listing.get("items", [])
        return items


def _not_found(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, ApiException) and cause.status == 404


def read_objects(api: ClusterApi, refs: Iterable[ObjectRef]) -> dict[ObjectRef, dict[str, Any] | None]:
    """Each wanted object as it is live, None when it does not exist."""
    groups: dict[tuple[str, str, str], list[ObjectRef]] = defaultdict(list)
    for ref in refs:
        resource = api.resource(ref.api_version, ref.kind)
        namespace = ref.namespace if resource is None or resource.namespaced else ""
        groups[(ref.api_version, ref.kind, namespace)].append(ref)
    found: dict[ObjectRef, dict[str, Any] | None] = {}
    for (api_version, kind, namespace), wanted in sorted(groups.items()):
        live = {item["metadata"]["name"]: item for item in api.list(api_version, kind, namespace)}
        for ref in wanted:
            found[ref] = live.get(ref.name)
    return found


def read_config_map(api: ClusterApi, namespace: str, name: str) -> dict[str, str]:
    """The data of a ConfigMap, empty when it does not exist."""
    try:
        body = api.get(f"/api/v1/namespaces/{namespace}/configmaps/{name}", f"read configmap {name}")
    except KubeError as exc:
        if _not_found(exc):
            return {}
        raise
    return dict(body.get("data") or {})


def merge_config_map(
    clients: KubeClients, cluster: ClusterTarget, namespace: str, name: str, data: dict[str, str]
) -> None:
    """Set `data` keys of a ConfigMap, creating it when absent."""
    core = client.CoreV1Api(clients.api(cluster))
    labels = {"app.kubernetes.io/managed-by": "envman"}
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)
    try:
        call(
            cluster,
            f"update configmap {name}",
            lambda: core.patch_namespaced_config_map(
                name, namespace, {"data": data}, _request_timeout=LIST_TIMEOUT
            ),
        )
    except KubeError as exc:
        if not _not_found(exc):
            raise
        call(
            cluster,
            f"create configmap {name}",
            lambda: core.create_namespaced_config_map(namespace, body, _request_timeout=LIST_TIMEOUT),
        )
