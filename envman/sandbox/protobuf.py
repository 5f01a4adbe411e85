"""Decoding of the Kubernetes protobuf envelope for the few types clients send that way.

helm's typed client (release storage, `--create-namespace`) sends Secret, ConfigMap and
Namespace bodies, and DeleteOptions, and kubectl's `auth can-i` and `auth whoami` their
reviews, as `application/vnd.kubernetes.protobuf`: the magic
`k8s\\x00` followed by a `runtime.Unknown` message whose `raw` field holds the object.
Only the fields of those types are decoded; the result is the object's JSON form.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"

# A schema maps a field number to (JSON name, kind, sub-schema for messages).
Schema = dict[int, tuple[str, str, "Schema | None"]]


class ProtobufError(ValueError):
    """The body is not a protobuf object this server understands."""


TIME: Schema = {1: ("seconds", "int", None), 2: ("nanos", "int", None)}
TYPE_META: Schema = {1: ("apiVersion", "str", None), 2: ("kind", "str", None)}
OWNER_REF: Schema = {
    1: ("kind", "str", None),
    3: ("name", "str", None),
    4: ("uid", "str", None),
    5: ("apiVersion", "str", None),
    6: ("controller", "bool", None),
    7: ("blockOwnerDeletion", "bool", None),
}
OBJECT_META: Schema = {
    1: ("name", "str", None),
    2: ("generateName", "str", None),
    3: ("namespace", "str", None),
    5: ("uid", "str", None),
    6: ("resourceVersion", "str", None),
    7: ("generation", "int", None),
    8: ("creationTimestamp", "time", TIME),
    11: ("labels", "map_str", None),
    12: ("annotations", "map_str", None),
    13: ("ownerReferences", "rep_msg", OWNER_REF),
    14: ("finalizers", "rep_str", None),
}
SECRET: Schema = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("data", "map_bytes", None),
    3: ("type", "str", None),
    4: ("stringData", "map_str", None),
    5: ("immutable", "bool", None),
}
CONFIG_MAP: Schema = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("data", "map_str", None),
    3: ("binaryData", "map_bytes", None),
    4: ("immutable", "bool", None),
}
NAMESPACE: Schema = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", {1: ("finalizers", "rep_str", None)}),
    3: ("status", "msg", {1: ("phase", "str", None)}),
}
DELETE_OPTIONS: Schema = {
    1: ("gracePeriodSeconds", "int", None),
    2: ("preconditions", "msg", {1: ("uid", "str", None), 2: ("resourceVersion", "str", None)}),
    3: ("orphanDependents", "bool", None),
    4: ("propagationPolicy", "str", None),
    5: ("dryRun", "rep_str", None),
}
RESOURCE_ATTRIBUTES: Schema = {
    1: ("namespace", "str", None),
    2: ("verb", "str", None),
    3: ("group", "str", None),
    4: ("version", "str", None),
    5: ("resource", "str", None),
    6: ("subresource", "str", None),
    7: ("name", "str", None),
}
ACCESS_SPEC: Schema = {
    1: ("resourceAttributes", "msg", RESOURCE_ATTRIBUTES),
    2: ("nonResourceAttributes", "msg", {1: ("path", "str", None), 2: ("verb", "str", None)}),
}
SELF_ACCESS_REVIEW: Schema = {1: ("metadata", "msg", OBJECT_META), 2: ("spec", "msg", ACCESS_SPEC)}
SELF_RULES_REVIEW: Schema = {
    1: ("metadata", "msg", OBJECT_META),
    2: ("spec", "msg", {1: ("namespace", "str", None)}),
}
SELF_SUBJECT_REVIEW: Schema = {1: ("metadata", "msg", OBJECT_META)}
SCHEMAS: dict[str, Schema] = {
    "Secret": SECRET,
    "ConfigMap": CONFIG_MAP,
    "Namespace": NAMESPACE,
    "DeleteOptions": DELETE_OPTIONS,
    "SelfSubjectAccessReview": SELF_ACCESS_REVIEW,
    "SelfSubjectRulesReview": SELF_RULES_REVIEW,
    "SelfSubjectReview": SELF_SUBJECT_REVIEW,
}
UNKNOWN: Schema = {
    1: ("typeMeta", "msg", TYPE_META),
    2: ("raw", "bytes", None),
    3: ("contentEncoding", "str", None),
    4: ("contentType", "str", None),
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one message; length-delimited values as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    if pos != len(data):
        raise ProtobufError("truncated message")
    return out


def _as_bytes(value: int | bytes) -> bytes:
    if isinstance(value, int):
        raise ProtobufError("expected a length-delimited field")
    return value


def _as_int(value: int | bytes) -> int:
    if not isinstance(value, int):
        raise ProtobufError("expected a varint field")
    return value - (1 << 64) if value >= 1 << 63 else value


def _map_entry(data: bytes) -> tuple[str, bytes]:
    key, value = "", b""
    for number, raw in _fields(data):
        if number == 1:
            key = _as_bytes(raw).decode()
        elif number == 2:
            value = _as_bytes(raw)
    return key, value


def _time(message: dict[str, Any]) -> str:
    stamp = datetime.fromtimestamp(int(message.get("seconds", 0)), tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar(kind: str, raw: int | bytes, sub: Schema | None) -> Any:
    if kind == "str":
        return _as_bytes(raw).decode()
    if kind == "bytes":
        return _as_bytes(raw)
    if kind == "int":
        return _as_int(raw)
    if kind == "bool":
        return bool(_as_int(raw))
    message = decode_message(_as_bytes(raw), sub or {})
    return _time(message) if kind == "time" else message


def decode_message(data: bytes, schema: Schema) -> dict[str, Any]:
    """Decode one message by its schema into its JSON form; unknown fields are dropped."""
    out: dict[str, Any] = {}
    for number, raw in _fields(data):
        if number not in schema:
            continue
        name, kind, sub = schema[number]
        if kind in ("map_str", "map_bytes"):
            key, value = _map_entry(_as_bytes(raw))
            text = value.decode() if kind == "map_str" else base64.b64encode(value).decode()
            out.setdefault(name, {})[key] = text
        elif kind == "rep_str":
            out.setdefault(name, []).append(_as_bytes(raw).decode())
        elif kind == "rep_msg":
            out.setdefault(name, []).append(decode_message(_as_bytes(raw), sub or {}))
        else:
            out[name] = _scalar(kind, raw, sub)
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded Kubernetes object (envelope included)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic prefix")
    unknown = decode_message(body[len(MAGIC) :], UNKNOWN)
    type_meta = unknown.get("typeMeta", {})
    kind = str(type_meta.get("kind", ""))
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ProtobufError(f"protobuf bodies of kind {kind or '?'} are not supported")
    obj = decode_message(bytes(unknown.get("raw", b"")), schema)
    obj["kind"] = kind
    obj["apiVersion"] = str(type_meta.get("apiVersion", "v1"))
    return obj
