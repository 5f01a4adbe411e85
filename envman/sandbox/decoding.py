"""A built-in object as the API server decodes it into its Go struct, before admission.

kube-apiserver decodes every create, update and patch of a built-in kind into the kind's
typed struct, so:
- a value of the wrong JSON type is refused whatever the request asks (400, `json: cannot
  unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`);
- a field the struct does not have is refused under `fieldValidation=Strict` (what kubectl's
  default `--validate=strict` and helm 4's server-side apply send: 400, `strict decoding
  error: unknown field "spec.replicaz"`) and otherwise dropped: it is never stored;
- a null field is no field (`annotations:` left empty, as many charts render).

The structs are the kubernetes client's models (`openapi_types`, `attribute_map`), the same
ones the sandbox's OpenAPI documents come from. Custom resources are stored as sent.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from envman.sandbox.openapi import schemas
from envman.sandbox.resources import ResourceType
from envman.sandbox.status import ApiError

Obj = dict[str, Any]

STRICT = "Strict"
STRING_MAPS = frozenset({"labels", "annotations", "nodeSelector", "matchLabels"})
"""Fields typed `map[string]string`: a null entry decodes to an empty string, not to nothing."""
QUANTITIES = frozenset(
    {"limits", "requests", "overhead", "capacity", "allocatable", "hard", "used", "sizeLimit", "divisor"}
    | {"min", "max", "default", "defaultRequest", "maxLimitRequestRatio"}
)
"""Fields (or maps of them) of type `resource.Quantity`, which takes a number or a string."""
_CONTAINER = re.compile(r"^(List|Dict)\[(?:str, )?(.*)\]$")
_GO_SCALARS = {"str": "string", "int": "int32", "float": "float64", "bool": "bool", "bytes": "[]uint8"}
_GO_STRUCT = re.compile(r"^(?:[A-Z][a-z]+)?V\d+(?:alpha\d+|beta\d+)?")


class _Decoding:
    def __init__(self, rtype: ResourceType) -> None:
        self.rtype = rtype
        self.unknown: list[str] = []

    def value(self, value: Any, kind: str, path: str, owner: str, field: str) -> Any:
        """`value` decoded as the client's type `kind` at `path` (a field of struct `owner`)."""
        container = _CONTAINER.match(kind)
        if container is not None:
            return self._container(value, container[1], container[2], (path, owner, field))
        if kind in _GO_SCALARS or kind in ("datetime", "date"):
            return self._scalar(value, kind, path, owner, field)
        if kind == "object":
            return value
        return self.struct(value, kind, path, owner)

    def struct(self, value: Any, model: str, path: str = "", owner: str = "") -> Obj:
        if not isinstance(value, dict):
            self._refuse(value, _go_name(model), path, owner)
        types, json_names = _fields(model)
        decoded: Obj = {}
        for name, item in value.items():
            here = f"{path}.{name}" if path else name
            if name not in json_names:
                self.unknown.append(here)
            elif item is not None:
                decoded[name] = self.value(item, types[json_names[name]], here, _go_name(model), name)
        return decoded

    def _container(self, value: Any, shape: str, item: str, at: tuple[str, str, str]) -> Any:
        path, owner, field = at
        if shape == "List":
            if not isinstance(value, list):
                self._refuse(value, f"[]{_go_name(item)}", path, owner)
            return [self.value(v, item, f"{path}[{i}]", owner, field) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            self._refuse(value, f"map[string]{_go_name(item)}", path, owner)
        if field in STRING_MAPS:
            return {
                k: "" if v is None else self.value(v, item, f"{path}.{k}", owner, field)
                for k, v in value.items()
            }
        return {
            k: self.value(v, item, f"{path}.{k}", owner, field) for k, v in value.items() if v is not None
        }

    def _scalar(self, value: Any, kind: str, path: str, owner: str, field: str) -> Any:
        integer = isinstance(value, int) and not isinstance(value, bool)
        number = integer or isinstance(value, float)
        fits = {
            "int": integer,
            "float": number,
            "bool": isinstance(value, bool),
        }.get(kind, isinstance(value, str) or (number and field in QUANTITIES))
        if not fits:
            self._refuse(value, _GO_SCALARS.get(kind, "string"), path, owner)
        return value

    def _refuse(self, value: Any, go_type: str, path: str, owner: str) -> None:
        where = f"Go struct field {owner}.{_without_indexes(path)}" if owner else "Go value"
        problem = f"json: cannot unmarshal {_json_type(value)} into {where} of type {go_type}"
        raise ApiError(400, f"{self._cannot_handle()}: {problem}", reason="BadRequest")

    def _cannot_handle(self) -> str:
        kind, version = self.rtype.kind, self.rtype.versions[0]
        return f'{kind} in version "{version}" cannot be handled as a {kind}'

    def check_unknown(self, validation: str | None) -> None:
        if self.unknown and validation == STRICT:
            fields = ", ".join(f'unknown field "{p}"' for p in self.unknown)
            raise ApiError(
                400, f"{self._cannot_handle()}: strict decoding error: {fields}", reason="BadRequest"
            )


def decoded(rtype: ResourceType, obj: Obj, validation: str | None) -> Obj:
    """`obj` as the API server stores it (see the module); `validation` is the request's
    `fieldValidation` (Strict refuses unknown fields, Warn and Ignore drop them)."""
    if not rtype.builtin:
        return obj
    model = schemas.model_for(rtype.group, rtype.versions[0], rtype.kind)
    if model is None:
        return dict(without_nulls(obj))
    decoding = _Decoding(rtype)
    result = decoding.struct(obj, model)
    decoding.check_unknown(validation)
    return result


def without_nulls(value: Any, field: str = "") -> Any:
    """Null fields gone, null entries of string maps empty: for kinds with no client model."""
    if isinstance(value, dict):
        if field in STRING_MAPS:
            return {k: "" if v is None else without_nulls(v) for k, v in value.items()}
        return {k: without_nulls(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


@cache
def _fields(model: str) -> tuple[dict[str, str], dict[str, str]]:
    """A model's client types by attribute, and its attributes by JSON name."""
    cls = getattr(schemas.kube_client(), model)
    return dict(cls.openapi_types), {json: attr for attr, json in cls.attribute_map.items()}


def _go_name(kind: str) -> str:
    return _GO_SCALARS.get(kind) or _GO_STRUCT.sub("", kind)


def _without_indexes(path: str) -> str:
    return re.sub(r"\[\d+\]", "", path)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
