"""Live drift: an object of a release's stored manifest that is missing in the cluster, or
a field the manifest sets that has another value live (pure).

Only what the manifest sets is compared, so fields the API server defaults and fields other
controllers add are not drift. Values are compared as the API server stores them: resource
quantities by amount (`0.5` = `500m`), numbers by value, a Secret's `stringData` as the
`data` it becomes; a null or empty value in the manifest asks for nothing. Lists of named
items (containers, ports, env) are matched by name (volumeMounts by mountPath, their merge
key: one volume may be mounted at several paths), other lists item by item. A path an
app's `ignoreDifferences` names (and anything under it) is never drift; `[*]` matches any
list item. Paths are reported, and the live and desired values of each (`FieldDrift`) for a
field that cannot hold a secret: never a Secret's, and never a value that contains a secret
value of the release (`hidden`: its stored and desired secret values, in every encoding).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from envman.kit.redact import encodings
from envman.plan.cluster_state import HIDDEN
from envman.plan.manifests import ManifestObject, ObjectRef

MISSING = "missing"
MODIFIED = "modified"
# The lists whose items the API server merges by another key than `name` (their
# patchMergeKey): a volume can be mounted twice (at two paths, with two subPaths).
_MERGE_KEYS = {"volumeMounts": "mountPath", "volumeDevices": "devicePath"}
_SKIPPED_TOP = frozenset({"apiVersion", "kind", "status"})
_SKIPPED_META = frozenset({"namespace", "creationTimestamp", "generation", "resourceVersion", "uid"})
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[munkm]?)$")
_SUFFIX: dict[str, Decimal | int] = {
    "": 1,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


_SHOWN_LENGTH = 80
"""A drifted value longer than this (as JSON) is shown cut, with `…`."""


@dataclass(frozen=True)
class FieldDrift:
    """A drifted field's value live and as the release's manifest sets it (None: absent)."""

    path: str
    live: Any
    desired: Any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "live": self.live, "desired": self.desired}

    def __str__(self) -> str:
        return f"{self.path}: live {_shown(self.live)}, desired {_shown(self.desired)}"


def _shown(value: Any) -> str:
    text = "absent" if value is None else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


@dataclass(frozen=True)
class ObjectDrift:
    """One drifted object: `missing`, or `modified` at `paths`, with the values of the paths
    that hold no secret (`values`)."""

    ref: ObjectRef
    reason: str
    paths: tuple[str, ...] = ()
    values: tuple[FieldDrift, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.ref.kind,
            "namespace": self.ref.namespace,
            "name": self.ref.name,
            "reason": self.reason,
            "paths": list(self.paths),
            "values": [v.to_dict() for v in self.values],
        }

    def fields(self) -> list[str]:
        """Each drifted path, with its values where they may be shown."""
        shown = {v.path: str(v) for v in self.values}
        return [shown.get(path, path) for path in self.paths]


def secret_texts(paths: Sequence[str], *values: Mapping[str, Any]) -> frozenset[str] | None:
    """Every value at `paths` (dotted value paths) in each of `values`, in every encoding
    output may give it; None when a path is unknown (`HIDDEN`): then no value of the release
    may be shown."""
    found: set[str] = set()
    for path in paths:
        if path == HIDDEN:
            return None
        for tree in values:
            node: Any = tree
            for part in path.split("."):
                node = node.get(part) if isinstance(node, Mapping) else None
            for leaf in _leaves(node):
                found.update(encodings(leaf))
    return frozenset(n for n in found if n)


def _leaves(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for value in node.values():
            yield from _leaves(value)
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item)
    elif node is not None:
        yield str(node)


@dataclass(frozen=True)
class IgnoreRule:
    """An app's `ignoreDifferences` entry: these paths of objects of `kind` (None: any kind)."""

    kind: str | None
    paths: tuple[str, ...]


def object_drift(
    obj: ManifestObject,
    live: Mapping[str, Any] | None,
    ignore: Sequence[IgnoreRule] = (),
    hidden: frozenset[str] | None = frozenset(),
) -> ObjectDrift | None:
    """How the live object differs from the manifest's, or None when it does not. Values are
    given for no Secret, and for no field whose value contains one of `hidden` (None: for no
    field at all)."""
    if live is None:
        return ObjectDrift(obj.ref, MISSING)
    rules = [p for rule in ignore if rule.kind in (None, obj.ref.kind) for p in rule.paths]
    wanted = _as_stored(obj.body)
    found = {p: (w, v) for p, w, v in _differences(wanted, live, "") if not _ignored(p, rules)}
    if not found:
        return None
    shown = hidden is not None and obj.ref.kind != "Secret"
    values = [
        FieldDrift(path, live_value, wanted_value)
        for path, (wanted_value, live_value) in sorted(found.items())
        if shown and not _touches(hidden or frozenset(), wanted_value, live_value)
    ]
    return ObjectDrift(obj.ref, MODIFIED, tuple(sorted(found)), tuple(values))


def _touches(hidden: frozenset[str], *values: Any) -> bool:
    """True when a value (as JSON, escaped or not) contains one of `hidden`."""
    texts = [json.dumps(v, sort_keys=True, default=str) for v in values] + [str(v) for v in values]
    return any(needle in text for needle in hidden for text in texts)


def _as_stored(body: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest object as the API server would store what it sets."""
    wanted = {k: v for k, v in body.items() if k not in _SKIPPED_TOP}
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k not in _SKIPPED_META}
    wanted["metadata"] = meta
    if body.get("kind") == "Secret" and isinstance(body.get("stringData"), Mapping):
        data = dict(wanted.get("data") or {})
        for key, value in wanted.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        wanted["data"] = data
    return wanted


Difference = tuple[str, Any, Any]
"""A drifted path, the value the manifest sets there and the live one."""


def _differences(wanted: Any, live: Any, path: str) -> Iterator[Difference]:
    if wanted is None or (isinstance(wanted, Mapping | list) and not wanted):
        return
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            yield path, wanted, live
            return
        for key, value in wanted.items():
            yield from _differences(value, live.get(key), _join(path, str(key)))
    elif isinstance(wanted, list):
        yield from _list_differences(wanted, live, path)
    elif not _same(wanted, live, path):
        yield path, wanted, live


def _list_differences(wanted: list[Any], live: Any, path: str) -> Iterator[Difference]:
    if not isinstance(live, list):
        yield path, wanted, live
        return
    key = _MERGE_KEYS.get(path.rsplit(".", 1)[-1], "name")
    keys = [item.get(key) if isinstance(item, Mapping) else None for item in wanted]
    if None not in keys and len(set(map(str, keys))) == len(keys):
        by_key = {item.get(key): item for item in live if isinstance(item, Mapping)}
        for item in wanted:
            yield from _differences(item, by_key.get(item[key]), f"{path}[{item[key]}]")
        return
    if not all(isinstance(item, Mapping | list) for item in wanted):
        if len(wanted) != len(live) or any(not _same(w, v, path) for w, v in zip(wanted, live, strict=False)):
            yield path, wanted, live
        return
    for index, item in enumerate(wanted):
        yield from _differences(item, live[index] if index < len(live) else None, f"{path}[{index}]")


def _same(wanted: Any, live: Any, path: str) -> bool:
    if wanted == live and type(wanted) is type(live):
        return True
    if isinstance(wanted, bool) or isinstance(live, bool):
        return False
    if isinstance(wanted, int | float) and isinstance(live, int | float):
        return wanted == live
    if _is_quantity_path(path):
        return _quantity(wanted) is not None and _quantity(wanted) == _quantity(live)
    return False


def _is_quantity_path(path: str) -> bool:
    parts = path.split(".")
    return len(parts) >= 2 and (parts[-2] in ("limits", "requests", "capacity") or parts[-1] == "storage")


def _quantity(value: Any) -> Decimal | None:
    match = _QUANTITY.match(str(value).strip())
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        amount = Decimal(number)
        if suffix[:1] in ("e", "E"):
            return amount * Decimal(10) ** int(suffix[1:])
        return amount * Decimal(_SUFFIX[suffix])
    except (InvalidOperation, KeyError):
        return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _ignored(path: str, rules: Sequence[str]) -> bool:
    return any(_matches(path, rule) for rule in rules)


def _matches(path: str, rule: str) -> bool:
    pattern = re.escape(rule).replace(r"\[\*\]", r"\[[^\]]*\]")
    return re.match(f"^{pattern}(?:$|[.\\[])", path) is not None
