"""The Swagger 2.0 document as the gnostic `openapi.v2.Document` protobuf, which client-go
asks `/openapi/v2` for (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and
which older kubectl uses for `explain` and client-side validation.

Only what the sandbox's documents hold is encoded: the info, PATCH operations with query
parameters and vendor extensions, and schemas (`$ref`, type, format, description, required,
enum, properties, items, additionalProperties, allOf, vendor extensions). Field numbers are
those of gnostic's OpenAPIv2.proto; an extension's value is sent as YAML (JSON is YAML).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Doc = dict[str, Any]
MEDIA = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
"""The reply's media type (the `@` of the type clients ask for is no valid media type)."""


def wanted(accept: str) -> bool:
    """Whether an Accept header asks for the protobuf document."""
    return "proto-openapi.spec.v2" in accept or "gnostic.OpenAPIv2" in accept


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (strings, bytes, messages)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _text(number: int, value: Any) -> bytes:
    return _field(number, str(value).encode()) if value not in (None, "") else b""


def _flag(number: int, value: Any) -> bytes:
    return _varint(number << 3) + _varint(1) if value else b""


def _texts(number: int, values: Iterable[Any]) -> bytes:
    return b"".join(_field(number, str(v).encode()) for v in values)


def _named(number: int, name: str, value: bytes) -> bytes:
    """A `Named...` pair message (name 1, value 2) as field `number`."""
    return _field(number, _text(1, name) + _field(2, value))


def _any(value: Any) -> bytes:
    """An `Any` carrying `value` as YAML (field 2)."""
    return _text(2, json.dumps(value))


def _extensions(number: int, node: Doc) -> bytes:
    return b"".join(_named(number, k, _any(v)) for k, v in node.items() if k.startswith("x-"))


def schema(node: Doc) -> bytes:
    """One `Schema` message."""
    out = _text(1, node.get("$ref")) + _text(2, node.get("format")) + _text(4, node.get("description"))
    out += _texts(19, node.get("required") or [])
    out += b"".join(_field(20, _any(v)) for v in node.get("enum") or [])
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out += _field(21, _field(1, schema(extra)))
    elif isinstance(extra, bool):
        out += _field(21, _flag(2, extra) or b"\x10\x00")
    kind = node.get("type")
    if kind:
        out += _field(22, _texts(1, kind if isinstance(kind, list) else [kind]))
    if isinstance(node.get("items"), dict):
        out += _field(23, _field(1, schema(node["items"])))
    out += b"".join(_field(24, schema(part)) for part in node.get("allOf") or [])
    properties = node.get("properties") or {}
    if properties:
        out += _field(25, b"".join(_named(1, k, schema(v)) for k, v in properties.items()))
    return out + _extensions(31, node)


def _operation(node: Doc) -> bytes:
    out = _text(5, node.get("operationId"))
    for param in node.get("parameters") or []:
        query = _text(2, param.get("in")) + _text(4, param.get("name")) + _text(6, param.get("type"))
        query += _flag(20, param.get("uniqueItems"))
        out += _field(8, _field(1, _field(2, _field(3, query))))
    codes = b"".join(
        _named(1, code, _field(1, _text(1, (answer or {}).get("description"))))
        for code, answer in (node.get("responses") or {}).items()
    )
    if codes:
        out += _field(9, codes)
    return out + _extensions(13, node)


def encode_document(doc: Doc) -> bytes:
    """The `Document` message of a Swagger 2.0 document."""
    info = doc.get("info") or {}
    out = _text(1, doc.get("swagger", "2.0")) + _field(
        2, _text(1, info.get("title")) + _text(2, info.get("version"))
    )
    items = b""
    for path, item in (doc.get("paths") or {}).items():
        operations = b"".join(
            _field(number, _operation(item[verb]))
            for verb, number in (("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("patch", 8))
            if verb in item
        )
        items += _named(2, path, operations)
    out += _field(8, items)
    definitions = b"".join(
        _named(1, name, schema(node)) for name, node in (doc.get("definitions") or {}).items()
    )
    return out + _field(9, definitions)
