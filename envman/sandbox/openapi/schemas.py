"""The schemas of the built-in kinds, derived once from the kubernetes client's models (each
model's fields, JSON names, types, descriptions and required fields), in OpenAPI v3 form.

Definitions are named as kube-apiserver names them, up to the package (`io.k8s.api.apps.v1.
DeploymentSpec` becomes `io.k8s.api.v1.DeploymentSpec`: the client's model names carry the
version, not the group), so `kubectl explain` shows the same type names. A top-level kind's
schema carries `x-kubernetes-group-version-kind`, which is how kubectl finds it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

Doc = dict[str, Any]

REF_PREFIX = "#/components/schemas/"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_MODEL = re.compile(r"^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$")
_CONTAINER = re.compile(r"^(List|Dict)\[(?:str, )?(.*)\]$")
_SCALARS: dict[str, Doc] = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "double"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "bytes": {"type": "string", "format": "byte"},
}
_INT_OR_STRING_FIELDS = frozenset({"port", "targetPort", "maxSurge", "maxUnavailable", "minAvailable"})
_lock = threading.Lock()
_cache: dict[str, Doc] = {}


def kube_client() -> Any:
    import kubernetes.client

    return kubernetes.client


def definition_name(model: str) -> str:
    """`io.k8s.api.<group prefix.>v1.<Type>` for a client model name such as `V1DeploymentSpec`."""
    match = _MODEL.match(model)
    if match is None:
        return f"io.k8s.api.{model}"
    prefix, version, name = match.groups()
    return ".".join(p for p in ("io.k8s.api", (prefix or "").lower(), version.lower(), name) if p)


def model_for(group: str, version: str, kind: str) -> str | None:
    """The client model of a kind (`V1Deployment`, `CoreV1Event`, `V2HorizontalPodAutoscaler`)."""
    client = kube_client()
    prefix = "Core" if not group else group.split(".", maxsplit=1)[0].capitalize()
    upper = version[0].upper() + version[1:]
    for name in (f"{prefix}{upper}{kind}", f"{upper}{kind}"):
        if isinstance(getattr(client, name, None), type) and hasattr(getattr(client, name), "openapi_types"):
            return name
    return None


def definitions(roots: Iterable[tuple[str, str, str]]) -> dict[str, Doc]:
    """The schemas of the kinds `roots` names ((group, version, kind)), and of every type they
    reference, by definition name."""
    kinds: dict[str, tuple[str, str, str]] = {}
    for group, version, kind in roots:
        model = model_for(group, version, kind)
        if model is not None:
            kinds[model] = (group, version, kind)
    return closure(kinds, kinds)


def closure(models: Iterable[str], kinds: dict[str, tuple[str, str, str]] | None = None) -> dict[str, Doc]:
    """The schemas of `models` and of every type they reference; those of `kinds` (a model's
    group, version and kind) carry `x-kubernetes-group-version-kind`."""
    found: dict[str, Doc] = {}
    pending = list(models)
    kinds = kinds or {}
    while pending:
        model = pending.pop()
        name = definition_name(model)
        if name in found:
            continue
        schema, refs = _schema(model)
        if model in kinds:
            group, version, kind = kinds[model]
            schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
        found[name] = schema
        pending.extend(refs)
    if any(INT_OR_STRING in str(s) for s in found.values()):
        found[INT_OR_STRING] = {
            "description": "IntOrString is a type that can hold an int32 or a string.",
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
        }
    return found


def _schema(model: str) -> tuple[Doc, list[str]]:
    """One model's schema (cached: the client's models do not change) and the models it uses."""
    with _lock:
        cached = _cache.get(model)
        if cached is None:
            cached = _cache[model] = _build(model)
    schema = dict(cached)
    return schema, list(schema.pop("x-models", []))


def _build(model: str) -> Doc:
    cls = getattr(kube_client(), model)
    properties: Doc = {}
    required: list[str] = []
    refs: list[str] = []
    top = _MODEL.match(model) is not None and "kind" in cls.openapi_types and "metadata" in cls.openapi_types
    for field, kind in cls.openapi_types.items():
        json_name = cls.attribute_map[field]
        info = cls.model_fields.get(field)
        prop, used = _type(kind, json_name)
        refs += used
        description = info.description if info is not None else None
        if description:
            prop = (
                {"allOf": [prop], "description": description}
                if "$ref" in prop
                else {**prop, "description": description}
            )
        properties[json_name] = prop
        if info is not None and info.is_required() and not top:
            required.append(json_name)
    schema: Doc = {"description": _summary(cls), "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    schema["x-models"] = refs
    return schema


def _type(kind: str, field: str) -> tuple[Doc, list[str]]:
    if kind in _SCALARS:
        return dict(_SCALARS[kind]), []
    if kind == "object":
        if field in _INT_OR_STRING_FIELDS:
            return {"$ref": REF_PREFIX + INT_OR_STRING}, []
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}, []
    container = _CONTAINER.match(kind)
    if container is not None:
        inner, used = _type(container.group(2), "")
        if container.group(1) == "List":
            return {"type": "array", "items": inner}, used
        return {"type": "object", "additionalProperties": inner}, used
    return {"$ref": REF_PREFIX + definition_name(kind)}, [kind]


def _summary(cls: type) -> str:
    text = (cls.__doc__ or "").split("Attributes:")[0]
    return " ".join(text.split())


def _doc(models: list[str]) -> str:
    """A field without a description of its own is described by its type's."""
    return _summary(getattr(kube_client(), models[0])) if len(models) == 1 else ""
