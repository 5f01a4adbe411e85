"""The patch types of the Kubernetes API: JSON patch, merge patch, strategic merge, apply.

Strategic merge knows the list merge keys of the built-in types the sandbox serves
(containers, env, ports, volumes, ...) and the `$patch`, `$retainKeys`,
`$setElementOrder/` and `$deleteFromPrimitiveList/` directives that client-go's
three-way merge emits. Server-side apply is modelled per field manager: fields a manager
applied before and no longer applies are removed, every other field is kept.
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]

MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "topologySpreadConstraints": "topologyKey",
}
PRIMITIVE_MERGE = frozenset({"finalizers"})
_CONTAINER_FIELDS = frozenset({"containers", "initContainers", "ephemeralContainers"})
_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


class PatchError(ValueError):
    """The patch cannot be applied (malformed, or a JSON patch test failed)."""


def merge_key(parent: str, field: str) -> str | None:
    """The merge key of list `field` inside a map reached through `parent`."""
    if field == "ports":
        return "containerPort" if parent in _CONTAINER_FIELDS else "port"
    return MERGE_KEYS.get(field)


# --- RFC 7386 merge patch -------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch (lists replace, null deletes)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- RFC 6902 JSON patch --------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, list):
            doc = doc[_index(doc, part, False)]
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            raise PatchError(f"path segment {part!r} not found")
    return doc


def _index(items: list[Any], part: str, adding: bool) -> int:
    if part == "-" and adding:
        return len(items)
    if not part.isdigit() or int(part) > len(items) - (0 if adding else 1):
        raise PatchError(f"invalid list index {part!r}")
    return int(part)


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    if isinstance(parent, list):
        parent.insert(_index(parent, parts[-1], True), value)
    elif isinstance(parent, dict):
        parent[parts[-1]] = value
    else:
        raise PatchError("cannot add below a scalar")
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        raise PatchError("cannot remove the whole document")
    parent = _walk(doc, parts[:-1])
    if isinstance(parent, list):
        return parent.pop(_index(parent, parts[-1], False))
    if isinstance(parent, dict) and parts[-1] in parent:
        return parent.pop(parts[-1])
    raise PatchError(f"path {'/'.join(parts)!r} not found")


def json_patch(target: Any, ops: Any) -> Any:
    """Apply an RFC 6902 JSON patch."""
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError("a JSON patch operation must be an object")
        name, parts = op.get("op"), _pointer(str(op.get("path", "")))
        if name == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif name == "remove":
            _remove(doc, parts)
        elif name == "replace":
            _walk(doc, parts)
            if parts:
                _remove(doc, parts)
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif name in ("move", "copy"):
            source = _pointer(str(op.get("from", "")))
            value = _remove(doc, source) if name == "move" else copy.deepcopy(_walk(doc, source))
            doc = _add(doc, parts, value)
        elif name == "test":
            if _walk(doc, parts) != op.get("value"):
                raise PatchError(f"test failed at {op.get('path')!r}")
        else:
            raise PatchError(f"unknown JSON patch operation {name!r}")
    return doc


# --- strategic merge patch -------------------------------------------------------------


def strategic_merge(target: Obj | None, patch: Obj, parent: str = "") -> Obj | None:
    """Apply a strategic merge patch to a map; None means the map is deleted."""
    patch = dict(patch)
    directive = patch.pop("$patch", None)
    if directive == "delete":
        return None
    if directive == "replace":
        replaced: Obj = _strip(patch)
        return replaced
    retain = patch.pop("$retainKeys", None)
    orders = {k[len(_ORDER) :]: patch.pop(k) for k in list(patch) if k.startswith(_ORDER)}
    result = dict(target or {})
    for key in [k for k in patch if k.startswith(_DELETE_PRIMITIVE)]:
        field, drop = key[len(_DELETE_PRIMITIVE) :], patch.pop(key)
        result[field] = [v for v in result.get(field) or [] if v not in drop]
    for key, value in patch.items():
        _merge_field(result, key, value, parent)
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(result[field], order, merge_key(parent, field))
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_field(result: Obj, key: str, value: Any, parent: str) -> None:
    if value is None:
        result.pop(key, None)
    elif isinstance(value, dict):
        current = result.get(key)
        merged = strategic_merge(current if isinstance(current, dict) else None, value, key)
        if merged is None:
            result.pop(key, None)
        else:
            result[key] = merged
    elif isinstance(value, list):
        result[key] = _merge_list(result.get(key), value, parent, key)
    else:
        result[key] = value


def _strip(value: Any) -> Any:
    """A patch value with its directives removed (for values that replace)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip(v) for v in value if not (isinstance(v, dict) and "$patch" in v)]
    return value


def _merge_list(current: Any, patch: list[Any], parent: str, field: str) -> list[Any]:
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return _strip(patch)  # type: ignore[no-any-return]
    existing = list(current) if isinstance(current, list) else []
    if field in PRIMITIVE_MERGE:
        return existing + [v for v in patch if v not in existing]
    key = merge_key(parent, field)
    if key is None:
        return _strip(patch)  # type: ignore[no-any-return]
    for item in patch:
        if not isinstance(item, dict):
            continue
        pos = next(
            (i for i, e in enumerate(existing) if isinstance(e, dict) and e.get(key) == item.get(key)), None
        )
        merged = strategic_merge(existing[pos] if pos is not None else None, item, field)
        if pos is None and merged is not None:
            existing.append(merged)
        elif pos is not None and merged is None:
            existing.pop(pos)
        elif pos is not None:
            existing[pos] = merged
    return existing


def _reorder(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def rank(item: Any) -> int:
        ident = item.get(key) if key and isinstance(item, dict) else item
        ident = ident if not isinstance(ident, dict) else None
        return order.index(ident) if ident in order else len(order)

    return sorted(items, key=rank)


# --- server-side apply ------------------------------------------------------------------


def drop_unapplied(live: Obj, before: Obj, now: Obj, parent: str = "") -> Obj:
    """Remove from `live` what a manager applied `before` but no longer applies `now`."""
    result = dict(live)
    for key, old in before.items():
        if key not in now:
            result.pop(key, None)
        elif isinstance(result.get(key), dict) and isinstance(old, dict):
            new = now[key] if isinstance(now[key], dict) else {}
            result[key] = drop_unapplied(result[key], old, new, key)
        elif isinstance(result.get(key), list) and isinstance(old, list):
            new_list = now[key] if isinstance(now[key], list) else []
            result[key] = _drop_items(result[key], old, new_list, merge_key(parent, key), key)
    return result


def _drop_items(live: list[Any], before: list[Any], now: list[Any], key: str | None, field: str) -> list[Any]:
    if key is None:
        return live
    old_items = {i.get(key): i for i in before if isinstance(i, dict)}
    new_items = {i.get(key): i for i in now if isinstance(i, dict)}
    out = []
    for item in live:
        ident = item.get(key) if isinstance(item, dict) else None
        if ident in old_items and ident not in new_items:
            continue
        if ident in old_items:
            out.append(drop_unapplied(item, old_items[ident], new_items[ident], field))
        else:
            out.append(item)
    return out


def apply(live: Obj, before: Obj | None, applied: Obj, strategic: bool) -> Obj:
    """The object after a manager applies `applied`, having applied `before` last time."""
    base = drop_unapplied(live, before or {}, applied)
    if strategic:
        return strategic_merge(base, applied) or {}
    return merge_patch(base, applied)  # type: ignore[no-any-return]
