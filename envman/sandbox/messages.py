"""What a request and its reply are made of: the media types, the target a path addresses,
the object a body carries, the patch a PATCH's media type asks for, a reply or a watch stream.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from envman.sandbox import patch, protobuf
from envman.sandbox.resources import ResourceType
from envman.sandbox.status import ApiError
from envman.sandbox.store import Watcher

Obj = dict[str, Any]

JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class Target:
    """The resource a request addresses, as parsed from its path."""

    rtype: ResourceType
    version: str
    namespace: str | None
    name: str | None = None
    sub: str | None = None


@dataclass
class Reply:
    """A complete response: a JSON document, plain text, or bytes already encoded as `media`."""

    code: int
    body: Obj | str | bytes
    media: str = JSON


@dataclass
class WatchReply:
    """A streamed watch: events already due, then the watcher's live events."""

    watcher: Watcher
    initial: list[tuple[str, Obj]]
    timeout: float
    api_version: str
    transform: Callable[[Obj], Obj] | None = None
    """How each object is sent (as a one-row Table for `kubectl get -w`); None: as stored."""


def decode_body(body: bytes, content_type: str) -> Any:
    """The object a request body carries, by content type (JSON, protobuf or YAML)."""
    media = content_type.partition(";")[0].strip()
    try:
        if media == PROTOBUF:
            return protobuf.decode(body)
        try:
            return json.loads(body or b"{}")
        except ValueError:
            if media != APPLY_PATCH:
                raise
            return YAML(typ="safe").load(body.decode())
    except (ValueError, YAMLError) as exc:
        raise ApiError(400, f"the request body could not be decoded: {exc}") from exc


def patched(rtype: ResourceType, found: Obj, document: Any, media: str) -> Obj:
    """`found` with a JSON, merge or strategic merge patch applied, by the patch's media type."""
    if media == JSON_PATCH:
        result = patch.json_patch(found, document)
    elif media == MERGE_PATCH:
        result = patch.merge_patch(found, document)
    elif media == STRATEGIC_PATCH and rtype.builtin:
        result = patch.strategic_merge(found, document) if isinstance(document, dict) else None
    else:
        raise ApiError(
            415,
            f"the body of the request was in an unknown format - accepted "
            f"media types include: {JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}"
            + (f", {STRATEGIC_PATCH}" if rtype.builtin else ""),
        )
    if not isinstance(result, dict):
        raise ApiError(400, "the patch must produce an object")
    return result


def resource_version(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise ApiError(400, f"invalid resourceVersion {text!r}") from exc


def continue_offset(token: str | None) -> int:
    """The list offset a `continue` token carries."""
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, "invalid continue token") from exc
