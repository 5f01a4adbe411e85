"""The protobuf envelope decoder, on bytes shaped like client-go's."""

from __future__ import annotations

from envman.sandbox import protobuf


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def _entry(key: str, value: bytes) -> bytes:
    return _field(1, key.encode()) + _field(2, value)


def test_decode_secret() -> None:
    meta = _field(1, b"sh.helm.release.v1.web.v1") + _field(3, b"apps") + _field(11, _entry("owner", b"helm"))
    secret = _field(1, meta) + _field(2, _entry("release", b"\x00\x01")) + _field(3, b"helm")
    type_meta = _field(1, b"v1") + _field(2, b"Secret")
    body = protobuf.MAGIC + _field(1, type_meta) + _field(2, secret)
    obj = protobuf.decode(body)
    assert obj == {
        "kind": "Secret",
        "apiVersion": "v1",
        "type": "helm",
        "metadata": {"name": "sh.helm.release.v1.web.v1", "namespace": "apps", "labels": {"owner": "helm"}},
        "data": {"release": "AAE="},
    }
