"""Label and field selectors, in the string syntax of the Kubernetes API."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_SET_RE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*(?:(==|=|!=|\s+in\s+|\s+notin\s+)\s*(.*?))?\s*$")


class SelectorError(ValueError):
    """The selector string is malformed."""


@dataclass(frozen=True)
class Requirement:
    """One `key op values` term; op is one of = != in notin exists !exists."""

    key: str
    op: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values


def _split_terms(text: str) -> list[str]:
    terms, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return [t for t in terms if t.strip()]


def _requirement(term: str) -> Requirement:
    match = _SET_RE.match(term)
    if match is None:
        raise SelectorError(f"invalid selector term {term.strip()!r}")
    negate, key, op, value = match.groups()
    if op is None:
        return Requirement(key, "!exists" if negate else "exists")
    if negate:
        raise SelectorError(f"invalid selector term {term.strip()!r}")
    op = op.strip()
    if op in ("in", "notin"):
        if not (value.startswith("(") and value.endswith(")")):
            raise SelectorError(f"invalid selector term {term.strip()!r}")
        values = frozenset(v.strip() for v in value[1:-1].split(",") if v.strip())
        return Requirement(key, op, values)
    return Requirement(key, "!=" if op == "!=" else "=", frozenset([value]))


def parse(text: str | None) -> list[Requirement]:
    """Parse a selector string (`a=b,c!=d,e in (x,y),!f`); empty means everything."""
    return [_requirement(t) for t in _split_terms(text or "")]


def matches_labels(reqs: list[Requirement], labels: Mapping[str, str] | None) -> bool:
    return all(r.matches(labels or {}) for r in reqs)


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string value of a dotted field path, "" when absent."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return str(node).lower()
    return str(node)


def matcher(label_selector: str | None, field_selector: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over objects for a label selector and a field selector."""
    labels = parse(label_selector)
    fields = parse(field_selector)

    def accept(obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if not matches_labels(labels, meta.get("labels")):
            return False
        values = {r.key: field_value(obj, r.key) for r in fields}
        return all(r.matches(values) for r in fields)

    return accept


def required_labels(label_selector: str | None) -> dict[str, str]:
    """The `key=value` pairs every object a label selector matches must carry (its equality
    terms), which an index can look up before the whole selector is checked."""
    return {
        r.key: next(iter(r.values))
        for r in parse(label_selector)
        if r.op in ("=", "in") and len(r.values) == 1
    }


def from_label_selector(selector: Mapping[str, Any] | None) -> list[Requirement]:
    """The requirements of a structured LabelSelector (matchLabels + matchExpressions)."""
    if not selector:
        return []
    reqs = [Requirement(k, "=", frozenset([str(v)])) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for expr in selector.get("matchExpressions") or []:
        op = ops.get(str(expr.get("operator")), "exists")
        reqs.append(
            Requirement(str(expr.get("key")), op, frozenset(str(v) for v in expr.get("values") or []))
        )
    return reqs
