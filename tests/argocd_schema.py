"""Validate Argo CD objects against the vendored CRD's `openAPIV3Schema` as `kubectl apply
--validate=strict` does: types, enums, patterns and required fields, and every field the schema
does not declare rejected (an object schema without `x-kubernetes-preserve-unknown-fields` is
closed). `metadata` is checked against ObjectMeta's fields, as the API server does."""

from __future__ import annotations

import copy
import functools
from typing import Any

import jsonschema

from envman.sandbox.argocd.definitions import openapi_schema

Obj = dict[str, Any]

_OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
OBJECT_META: Obj = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": "string"},
        "deletionGracePeriodSeconds": {"type": "integer"},
        "ownerReferences": {"type": "array", "items": _OPEN},
        "managedFields": {"type": "array", "items": _OPEN},
        "selfLink": {"type": "string"},
    },
}
"""The fields of ObjectMeta (the API server validates metadata itself, not from the CRD)."""


def closed(schema: Obj) -> Obj:
    """A copy of `schema` where every object schema that declares its properties and does not
    preserve unknown fields rejects undeclared ones (`additionalProperties: false`)."""
    node = copy.deepcopy(schema)
    _close(node)
    return node


def _close(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _close(item)
        return
    if not isinstance(node, dict):
        return
    if (
        node.get("type") == "object"
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False
    for child in (node.get("properties") or {}).values():
        _close(child)
    for key in ("items", "additionalProperties", "anyOf", "allOf", "oneOf", "not"):
        if isinstance(node.get(key), dict | list):
            _close(node[key])


@functools.cache
def _validator(kind: str) -> jsonschema.Draft4Validator:
    schema = closed(openapi_schema(kind))
    schema["properties"]["metadata"] = closed(OBJECT_META)
    return jsonschema.Draft4Validator(schema)


def schema_errors(obj: Obj, kind: str = "Application") -> list[str]:
    """Every way `obj` breaks the vendored CRD of `kind`, as `path: message` (empty: valid)."""
    errors = sorted(_validator(kind).iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def assert_valid(obj: Obj, kind: str = "Application") -> None:
    """Fail with every problem when `obj` is not a valid `kind` under strict validation."""
    problems = schema_errors(obj, kind)
    assert not problems, f"invalid {kind} {obj.get('metadata', {}).get('name')!r}:\n" + "\n".join(problems)
