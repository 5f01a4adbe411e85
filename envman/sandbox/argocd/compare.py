"""Desired against live, as Argo CD's diff sees it after server-side apply: a live object is in
sync when every field the rendered manifest sets has that value live (fields the API server or
controllers add — defaults, status, uid — do not count)."""

from __future__ import annotations

import base64
from typing import Any

Obj = dict[str, Any]

_IGNORED_META = frozenset({"creationTimestamp", "resourceVersion", "uid", "generation", "managedFields"})


def _empty(value: Any) -> bool:
    return value is None or value in ({}, [])


def _scalar_equal(want: Any, live: Any) -> bool:
    if want == live:
        return True
    if isinstance(want, bool) or isinstance(live, bool):
        return False
    if isinstance(want, int | float) and isinstance(live, int | float):
        return float(want) == float(live)
    return False


def covers(live: Any, want: Any) -> bool:
    """Whether `live` has every value `want` sets (maps: key by key; lists: item by item)."""
    if isinstance(want, dict):
        if not isinstance(live, dict):
            return all(_empty(v) for v in want.values())
        return all((_empty(v) and _empty(live.get(k))) or covers(live.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(live, list) or len(live) != len(want):
            return not want and _empty(live)
        return all(covers(item_live, item) for item_live, item in zip(live, want, strict=True))
    if want is None:
        return True
    return _scalar_equal(want, live)


def normalized(target: Obj) -> Obj:
    """The manifest as the API server stores it: a Secret's `stringData` moved to `data`, and
    metadata the server owns dropped."""
    obj = {k: v for k, v in target.items() if k != "status"}
    obj["metadata"] = {k: v for k, v in (target.get("metadata") or {}).items() if k not in _IGNORED_META}
    if target.get("kind") == "Secret" and target.get("apiVersion") == "v1" and target.get("stringData"):
        data = dict(obj.get("data") or {})
        for key, value in (target.get("stringData") or {}).items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
        del obj["stringData"]
    return obj


def in_sync(target: Obj, live: Obj | None) -> bool:
    """Whether the live object matches the rendered one (None: missing, so out of sync)."""
    return live is not None and covers(live, normalized(target))
