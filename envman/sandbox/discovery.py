"""Discovery documents: /version, /api, /apis, /apis/G/V."""

from __future__ import annotations

from typing import Any

from envman.sandbox.resources import Registry, ResourceType

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


SUBRESOURCE_VERBS = {"log": ["get"], "exec": ["create", "get"], "attach": ["create", "get"]}
SUBRESOURCE_VERBS["portforward"] = ["create", "get"]


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
        "verbs": list(rtype.verbs),
    }
    if rtype.short_names:
        main["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        main["categories"] = list(rtype.categories)
    entries = [main]
    for sub in rtype.subresources:
        kind = "Scale" if sub == "scale" else rtype.kind
        verbs = SUBRESOURCE_VERBS.get(sub, ["get", "patch", "update"])
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
