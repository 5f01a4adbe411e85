"""Field ownership, as a real API server keeps it in `metadata.managedFields`.

Every write names a manager (the `fieldManager` parameter, else the User-Agent's product,
as the API server defaults it). A create or an update (`Update` operation) gives its manager
the fields it set or changed, taking them from other managers. A server-side apply (`Apply`)
owns exactly the fields it applies; it conflicts (409) where another manager owns a field it
sets to another value, unless `force=true`, which takes the fields over. Fields are leaf
paths; list items with a merge key are addressed by it (`k:{"name":"web"}`), other lists
are atomic. `status` and the server's own metadata are nobody's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from envman.sandbox.patch import merge_key
from envman.sandbox.status import ApiError

Obj = dict[str, Any]
FieldPath = tuple[str, ...]
Ident = tuple[str, str, str]
APPLYING = "__applying"
"""Set in the query of the create/replace an apply makes: its fields are recorded as applied."""
DEFAULT_MANAGER = "__manager"
"""The manager the server derived from the request's User-Agent (see `server`)."""


def manager_of(query: dict[str, str]) -> str:
    return query.get("fieldManager") or query.get(DEFAULT_MANAGER) or "unknown"


_SERVER_META = frozenset(
    {"name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}
)


def fields(obj: Obj) -> set[FieldPath]:
    """The leaf fields `obj` sets."""
    top = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_META}
    if meta:
        top["metadata"] = meta
    else:
        top.pop("metadata", None)
    return set(_walk(top, (), ""))


def _walk(node: Any, path: FieldPath, parent: str) -> Iterator[FieldPath]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _walk(value, (*path, f"f:{key}"), key)
        return
    if isinstance(node, list) and node and path:
        key = merge_key(parent, path[-1][2:])
        if key is not None and all(isinstance(i, dict) and key in i for i in node):
            for item in node:
                yield from _walk(item, (*path, "k:" + json.dumps({key: item[key]})), path[-1][2:])
            return
    yield path


def value_at(obj: Any, path: FieldPath) -> Any:
    node = obj
    for part in path:
        if part.startswith("f:") and isinstance(node, dict):
            node = node.get(part[2:])
        elif part.startswith("k:") and isinstance(node, list):
            ((key, want),) = json.loads(part[2:]).items()
            node = next((i for i in node if isinstance(i, dict) and i.get(key) == want), None)
        else:
            return None
    return node


def fields_v1(paths: set[FieldPath]) -> Obj:
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    return tree


@dataclass
class Managers:
    """The managers of one object: name -> (operation, fields)."""

    owned: dict[str, tuple[str, set[FieldPath]]] = field(default_factory=dict)

    def take(self, manager: str, operation: str, paths: set[FieldPath], *, replace: bool = False) -> None:
        for other, (op, theirs) in list(self.owned.items()):
            if other != manager:
                kept = theirs - paths
                self.owned[other] = (op, kept)
                if not kept:
                    del self.owned[other]
        _, mine = self.owned.get(manager, (operation, set()))
        self.owned[manager] = (operation, set(paths) if replace else mine | paths)

    def conflicts(self, manager: str, applied: Obj, live: Obj) -> list[tuple[str, FieldPath]]:
        found = []
        for path in sorted(fields(applied)):
            for other, (_, theirs) in self.owned.items():
                if other != manager and path in theirs and value_at(live, path) != value_at(applied, path):
                    found.append((other, path))
        return found

    def entries(self, api_version: str, time: str) -> list[Obj]:
        return [
            {
                "manager": name,
                "operation": operation,
                "apiVersion": api_version,
                "time": time,
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_v1(paths),
            }
            for name, (operation, paths) in sorted(self.owned.items())
            if paths
        ]


class Ownership:
    """The field managers of every object of one cluster."""

    def __init__(self) -> None:
        self._objects: dict[Ident, Managers] = {}

    def of(self, ident: Ident) -> Managers:
        return self._objects.setdefault(ident, Managers())

    def updated(self, ident: Ident, manager: str, old: Obj | None, new: Obj) -> None:
        changed = {p for p in fields(new) if old is None or value_at(old, p) != value_at(new, p)}
        self.of(ident).take(manager, "Update", changed)

    def apply(self, ident: Ident, manager: str, applied: Obj, live: Obj | None, force: bool) -> None:
        """Check an apply (409 on a conflict unless `force`) and record its fields."""
        managers = self.of(ident)
        if live is not None and not force:
            found = managers.conflicts(manager, applied, live)
            if found:
                raise _conflict(found)
        managers.take(manager, "Apply", fields(applied), replace=True)

    def forget(self, ident: Ident) -> None:
        self._objects.pop(ident, None)

    def stamp(self, ident: Ident, obj: Obj, time: str) -> None:
        obj.setdefault("metadata", {})["managedFields"] = self.of(ident).entries(
            obj.get("apiVersion", "v1"), time
        )


def _conflict(found: list[tuple[str, FieldPath]]) -> ApiError:
    shown = [f'conflict with "{manager}": .{_dotted(path)}' for manager, path in found]
    count = f"{len(found)} conflict{'s' if len(found) > 1 else ''}"
    return ApiError(409, f"Apply failed with {count}: {'; '.join(shown)}", reason="Conflict")


def _dotted(path: FieldPath) -> str:
    return ".".join(part[2:] if part.startswith("f:") else f"[{part[2:]}]" for part in path)
