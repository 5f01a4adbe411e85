"""Helm's layering semantics: maps merge deeply, lists and scalars replace, `null` deletes.

A `null` replaces whatever lower layers set and is kept in the result: helm itself then drops
the key from the chart's defaults too, exactly as when several `-f` files are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """A new map: `over` layered on `base`."""
    merged: dict[str, Any] = {k: _copy(v) for k, v in base.items()}
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _copy(value)
    return merged


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def set_path(values: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested maps, creating maps on the way; a number indexes an existing
    list (`tolerations.0.value`). A path that indexes past a list's end, or names a key of a
    list, raises `ValueError`."""
    *parents, last = dotted.split(".")
    node: Any = values
    for part in parents:
        if isinstance(node, list):
            node = node[_index(node, part, dotted)]
            continue
        child = node.get(part)
        if not isinstance(child, dict | list):
            child = node[part] = {}
        node = child
    if isinstance(node, list):
        node[_index(node, last, dotted)] = value
    else:
        node[last] = value


def _index(items: list[Any], part: str, dotted: str) -> int:
    if not part.isdigit():
        raise ValueError(f"{dotted}: {part!r} names a key, but the value there is a list")
    if int(part) >= len(items):
        raise ValueError(f"{dotted}: index {part} is past the end of a list of {len(items)}")
    return int(part)


def get_path(values: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    """(found, value) of `a.b.c` in nested maps (a number indexes a list)."""
    node: Any = values
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return False, None
    return True, node
