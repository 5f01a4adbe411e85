"""The OpenAPI documents a cluster serves: `/openapi/v3` (an index whose links carry each
document's hash) and `/openapi/v3/apis/G/V` (the group version's kinds and every type they
use, and its PATCH operations, whose `fieldValidation` parameter makes helm and kubectl
validate fields on the server), and `/openapi/v2` (every kind in one Swagger 2.0 document, as
JSON or as the gnostic protobuf client-go asks for). Custom resources get their CRD's schema.

Documents are encoded once and kept until a CRD changes what the cluster serves; the
documents of the built-in group versions are shared by every cluster of the process.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from envman.sandbox.openapi import proto, schemas
from envman.sandbox.resources import Registry, ResourceType

Doc = dict[str, Any]
CrdLookup = Callable[[ResourceType], Doc | None]
"""The CustomResourceDefinition object of a custom resource type."""

TITLE = {"title": "Kubernetes", "version": "v1.34.1"}
OBJECT_META = schemas.definition_name("V1ObjectMeta")
_shared: dict[Any, bytes] = {}
_lock = threading.Lock()


def _gv_paths(registry: Registry) -> dict[str, tuple[str, str]]:
    paths = {"api/v1": ("", "v1")}
    for group, versions in registry.groups().items():
        for version in versions:
            paths[f"apis/{group}/{version}"] = (group, version)
    return paths


def v3_index(registry: Registry, crd: CrdLookup) -> Doc:
    """The /openapi/v3 index; each group version links to its document by hash."""
    paths = {}
    for path, (group, version) in _gv_paths(registry).items():
        digest = hashlib.sha256(v3_document(registry, crd, group, version)).hexdigest()[:32].upper()
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


def v3_for_path(registry: Registry, crd: CrdLookup, path: str) -> bytes | None:
    """The encoded document of /openapi/v3/<path>, or None when it is not served."""
    found = _gv_paths(registry).get(path.strip("/"))
    return None if found is None else v3_document(registry, crd, *found)


def v3_document(registry: Registry, crd: CrdLookup, group: str, version: str) -> bytes:
    """The encoded OpenAPI v3 document of one group version."""
    types = registry.in_version(group, version)
    if all(t.builtin for t in types):
        return _cached(_shared, ("v3", group, version), lambda: _v3(types, crd, group, version))
    return _cached(registry.cache, ("v3", group, version), lambda: _v3(types, crd, group, version))


def v2_document(registry: Registry, crd: CrdLookup, protobuf: bool) -> bytes:
    """The encoded Swagger 2.0 document of every kind, JSON or gnostic protobuf."""
    return _cached(registry.cache, ("v2", protobuf), lambda: _v2(registry, crd, protobuf))


def _cached(cache: dict[Any, bytes], key: Any, make: Callable[[], bytes]) -> bytes:
    with _lock:
        found = cache.get(key)
    if found is None:
        found = make()
        with _lock:
            cache[key] = found
    return found


def _v3(types: list[ResourceType], crd: CrdLookup, group: str, version: str) -> bytes:
    prefix = f"/apis/{group}/{version}" if group else "/api/v1"
    paths: Doc = {}
    for rtype in types:
        scope = "/namespaces/{namespace}" if rtype.namespaced else ""
        paths[f"{prefix}{scope}/{rtype.plural}/{{name}}"] = {"patch": _patch(rtype, version, v3=True)}
    doc = {
        "openapi": "3.0.0",
        "info": TITLE,
        "paths": paths,
        "components": {"schemas": _definitions(types, crd, version)},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _definitions(types: list[ResourceType], crd: CrdLookup, version: str | None) -> Doc:
    """The schemas of `types` (at `version`, or every version they serve) and what they use."""
    roots = [
        (t.group, v, t.kind)
        for t in types
        if t.builtin and t.verbs != ("create",)
        for v in t.versions
        if version in (None, v)
    ]
    found = schemas.definitions(roots)
    for rtype in (t for t in types if not t.builtin):
        definition = crd(rtype)
        if definition is not None:
            found.update(_crd_schemas(rtype, definition, version))
    if OBJECT_META not in found and any(not t.builtin for t in types):
        found.update(schemas.closure(["V1ObjectMeta"]))
    return found


def _crd_schemas(rtype: ResourceType, crd: Doc, version: str | None) -> Doc:
    found: Doc = {}
    for served in crd["spec"].get("versions") or []:
        name = str(served.get("name"))
        if not served.get("served", True) or version not in (None, name):
            continue
        schema = copy.deepcopy((served.get("schema") or {}).get("openAPIV3Schema") or {})
        schema.setdefault("type", "object")
        if not schema.get("properties"):
            schema["x-kubernetes-preserve-unknown-fields"] = True
        properties = schema.setdefault("properties", {})
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        properties["metadata"] = {"allOf": [{"$ref": schemas.REF_PREFIX + OBJECT_META}]}
        schema["x-kubernetes-group-version-kind"] = [
            {"group": rtype.group, "kind": rtype.kind, "version": name}
        ]
        found[f"{'.'.join(reversed(rtype.group.split('.')))}.{name}.{rtype.kind}"] = schema
    return found


def _patch(rtype: ResourceType, version: str, *, v3: bool) -> Doc:
    gvk = {"group": rtype.group, "version": version, "kind": rtype.kind}
    names = ("dryRun", "fieldManager", "fieldValidation", "force")
    params: list[Doc]
    if v3:
        params = [
            {"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for n in names
        ]
    else:
        params = [{"name": n, "in": "query", "type": "string", "uniqueItems": True} for n in names]
    return {
        "operationId": f"patch{rtype.kind}",
        "parameters": params,
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": gvk,
        "responses": {"200": {"description": "OK"}},
    }


def _v2(registry: Registry, crd: CrdLookup, protobuf: bool) -> bytes:
    paths: Doc = {}
    for rtype in registry.types:
        if rtype.verbs == ("create",):
            continue
        for version in rtype.versions:
            prefix = f"/apis/{rtype.group}/{version}" if rtype.group else "/api/v1"
            scope = "/namespaces/{namespace}" if rtype.namespaced else ""
            paths[f"{prefix}{scope}/{rtype.plural}/{{name}}"] = {"patch": _patch(rtype, version, v3=False)}
    definitions = {name: _to_v2(schema) for name, schema in _definitions(registry.types, crd, None).items()}
    doc = {"swagger": "2.0", "info": TITLE, "paths": paths, "definitions": definitions}
    return proto.encode_document(doc) if protobuf else json.dumps(doc, separators=(",", ":")).encode()


def _to_v2(schema: Doc) -> Doc:
    """A v3 schema as Swagger 2.0 writes it: `$ref`s to `#/definitions/`, no `allOf` wrapper,
    an int-or-string as the string of format `int-or-string` (v2 has no `anyOf`)."""
    if schema.get("x-kubernetes-int-or-string") is True:
        return {"description": schema.get("description", ""), "type": "string", "format": "int-or-string"}
    parts = schema.get("allOf")
    if isinstance(parts, list) and len(parts) == 1 and "$ref" in parts[0]:
        schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **parts[0]}
    out = dict(schema)
    if isinstance(out.get("$ref"), str):
        out["$ref"] = out["$ref"].replace(schemas.REF_PREFIX, "#/definitions/")
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _to_v2(v) for k, v in out["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _to_v2(out[key])
    if isinstance(out.get("allOf"), list):
        out["allOf"] = [_to_v2(part) for part in out["allOf"]]
    return out
