"""Discovery and OpenAPI documents: /version, /api, /apis, /apis/G/V, /openapi/v3."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from envman.sandbox.resources import VERBS, Registry, ResourceType

Doc = dict[str, Any]

SERVER_VERSION: Doc = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.1",
    "gitCommit": "sandbox",
    "gitTreeState": "clean",
    "buildDate": "2025-09-09T00:00:00Z",
    "goVersion": "go1.24.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(address: str) -> Doc:
    """The core group's version list (/api)."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group_doc(name: str, versions: list[str]) -> Doc:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: Registry) -> Doc:
    """All named groups (/apis)."""
    groups = [_group_doc(n, v) for n, v in registry.groups().items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, name: str) -> Doc | None:
    """One named group (/apis/G), or None when it is not served."""
    versions = registry.groups().get(name)
    if versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(name, versions)}


def _resource_entries(rtype: ResourceType) -> list[Doc]:
    main: Doc = {
        "name": rtype.plural,
        "singularName": rtype.singular,
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": list(VERBS),
    }
    if rtype.short_names:
        main["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        main["categories"] = list(rtype.categories)
    entries = [main]
    for sub in rtype.subresources:
        kind = "Scale" if sub == "scale" else rtype.kind
        verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
        entries.append(
            {
                "name": f"{rtype.plural}/{sub}",
                "singularName": "",
                "namespaced": rtype.namespaced,
                "kind": kind,
                "verbs": verbs,
            }
        )
    return entries


def resource_list(registry: Registry, group: str, version: str) -> Doc | None:
    """The resources of one group version (/api/v1, /apis/G/V), or None when not served."""
    types = registry.in_version(group, version)
    if not types:
        return None
    group_version = f"{group}/{version}" if group else version
    resources = [e for t in types for e in _resource_entries(t)]
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def _gv_paths(registry: Registry) -> dict[str, tuple[str, str]]:
    paths = {"api/v1": ("", "v1")}
    for group, versions in registry.groups().items():
        for version in versions:
            paths[f"apis/{group}/{version}"] = (group, version)
    return paths


def openapi_index(registry: Registry) -> Doc:
    """The /openapi/v3 index; each group version links to its document."""
    paths = {}
    for path, (group, version) in _gv_paths(registry).items():
        digest = hashlib.sha256(json.dumps(openapi_group(registry, group, version)).encode())
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest.hexdigest()[:32]}"}
    return {"paths": paths}


def openapi_for_path(registry: Registry, path: str) -> Doc | None:
    """The OpenAPI v3 document of /openapi/v3/<path>, or None when not served."""
    found = _gv_paths(registry).get(path.strip("/"))
    return None if found is None else openapi_group(registry, *found)


def _patch_operation(rtype: ResourceType, version: str) -> Doc:
    gvk = {"group": rtype.group, "version": version, "kind": rtype.kind}
    params = [
        {"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
        for n in ("dryRun", "fieldManager", "fieldValidation", "force")
    ]
    return {
        "operationId": f"patch{rtype.kind}",
        "parameters": params,
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": gvk,
        "responses": {"200": {"description": "OK"}},
    }


def openapi_group(registry: Registry, group: str, version: str) -> Doc:
    """A minimal OpenAPI v3 document whose PATCH operations declare `fieldValidation`.

    That is what makes helm and kubectl rely on server-side field validation and skip
    fetching /openapi/v2 for client-side validation.
    """
    prefix = f"/apis/{group}/{version}" if group else "/api/v1"
    paths: Doc = {}
    for rtype in registry.in_version(group, version):
        scope = "/namespaces/{namespace}" if rtype.namespaced else ""
        path = f"{prefix}{scope}/{rtype.plural}/{{name}}"
        paths[path] = {"patch": _patch_operation(rtype, version)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.34.1"},
        "paths": paths,
        "components": {"schemas": {}},
    }
