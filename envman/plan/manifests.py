"""Kubernetes objects of a helm manifest (the release's stored one, or a rendered one).

A manifest is a stream of YAML documents; empty documents and `kind: List` wrappers are
handled as helm does. An object without a namespace lives in the release's namespace when
its kind is namespaced; cluster-scoped kinds are known by name (`CLUSTER_SCOPED`) and, for
custom resources, by what the cluster's discovery says (the caller passes it).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader where PyYAML has it (16x faster than a pure-Python one on helm manifests),
and YAML 1.1 as the API server reads a manifest (`on` is true)."""

CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PriorityClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "APIService",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "VolumeAttachment",
    }
)


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Which object: group/version, kind, namespace ("" when cluster-scoped) and name."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass(frozen=True)
class ManifestObject:
    ref: ObjectRef
    body: dict[str, Any]


@functools.lru_cache(maxsize=4096)
def manifest_objects(manifest: str, namespace: str) -> tuple[ManifestObject, ...]:
    """Every object of `manifest`; objects without a namespace get `namespace` unless their
    kind is cluster-scoped. An unreadable manifest has no objects (helm wrote it). Cached:
    the result is shared, never to be changed."""
    try:
        docs = list(yaml.load_all(manifest, Loader=_Loader))
    except yaml.YAMLError:
        return ()
    return tuple(ManifestObject(_ref(doc, namespace), doc) for doc in _objects(docs))


def _objects(docs: list[Any]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        if str(doc["kind"]).endswith("List") and isinstance(doc.get("items"), list):
            yield from _objects(doc["items"])
        else:
            yield doc


def _ref(doc: dict[str, Any], namespace: str) -> ObjectRef:
    meta = doc.get("metadata") or {}
    kind = str(doc.get("kind"))
    scoped = "" if kind in CLUSTER_SCOPED else str(meta.get("namespace") or namespace)
    return ObjectRef(str(doc.get("apiVersion", "v1")), kind, scoped, str(meta.get("name", "")))


def manifest_differences(stored: str, rendered: str, namespace: str) -> list[str]:
    """How a rendered manifest differs from a stored one, object by object:
    `ConfigMap web/extra added`, `Deployment web/web changed`, `Service web/old removed`."""
    before = {o.ref: o.body for o in manifest_objects(stored, namespace)}
    after = {o.ref: o.body for o in manifest_objects(rendered, namespace)}
    found = [f"{ref} added" for ref in sorted(after.keys() - before.keys())]
    found += [f"{ref} removed" for ref in sorted(before.keys() - after.keys())]
    found += [f"{ref} changed" for ref in sorted(after.keys() & before.keys()) if after[ref] != before[ref]]
    return found
