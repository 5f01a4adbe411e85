"""Round-trip edits of a YAML file with ruamel.yaml: comments, key order, quoting, flow and
block style, anchors and blank lines are kept, so a diff shows only the values that changed.

Lines the edit does not touch are kept byte for byte (ruamel.yaml normalises some spacing);
a replaced scalar keeps its quoting style. A new key goes at the end of its mapping; blank
lines and comments that followed the mapping's last entry move below the new key. The
file's mapping and sequence indentation is detected from the file itself.
"""

from __future__ import annotations

import difflib
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.tokens import CommentToken

from envman.promote.errors import PromoteError

Write = tuple[tuple[str, ...], Any]
"""A spec path (`apps`, `api`, `values`, `image`, `tag`) and the value to write there."""


@dataclass(frozen=True)
class Indent:
    """ruamel.yaml's indentation settings: a mapping's keys, a sequence's items and dashes,
    each relative to the key holding them."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2


@dataclass(frozen=True)
class Edited:
    """The edited text; `exact` is False when lines the edit did not touch may have been
    reformatted too (ruamel.yaml's round trip moved lines, so they could not be kept)."""

    text: str
    exact: bool


def edit(text: str, writes: Sequence[Write], file: str) -> Edited:
    """`text` with every write applied. Where ruamel.yaml would reformat a line it did not
    change (spacing it does not keep), the original line is kept."""
    yaml, doc = _load(text, file)
    if doc is None:
        doc = CommentedMap()
    baseline = _dump(yaml, doc)
    for path, value in writes:
        _set(doc, path, value, file)
    edited = _dump(yaml, doc)
    before, plain, after = (t.splitlines(keepends=True) for t in (text, baseline, edited))
    if len(before) != len(plain):
        return Edited(edited, exact=baseline == text)
    return Edited(_keep_unchanged_lines(before, plain, after), exact=True)


def _keep_unchanged_lines(before: list[str], plain: list[str], after: list[str]) -> str:
    """`after` with each line the edit did not touch taken from `before`, the original:
    `plain` (the unchanged round trip) has every original line in place."""
    merged: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, plain, after, autojunk=False).get_opcodes():
        merged += before[i1:i2] if tag == "equal" else after[j1:j2]
    return "".join(merged)


def _load(text: str, file: str) -> tuple[YAML, Any]:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        doc = yaml.load(text)
    except YAMLError as exc:
        raise PromoteError(f"{file}: cannot edit: {exc}") from exc
    if doc is not None and not isinstance(doc, CommentedMap):
        raise PromoteError(f"{file}: cannot edit: expected a mapping at the top level")
    indent = detect_indent(doc) if doc is not None else Indent()
    yaml.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    return yaml, doc


def _dump(yaml: YAML, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def detect_indent(doc: CommentedMap) -> Indent:
    """The most common indentation of the file's block mappings and block sequences."""
    maps: Counter[int] = Counter()
    seqs: Counter[int] = Counter()
    for parent, key, child in _block_children(doc):
        column = parent.lc.key(key)[1]
        if isinstance(child, CommentedMap):
            maps[child.lc.key(next(iter(child)))[1] - column] += 1
        else:
            seqs[child.lc.item(0)[1] - column] += 1
    default = Indent()
    mapping = maps.most_common(1)[0][0] if maps else default.mapping
    sequence = seqs.most_common(1)[0][0] if seqs else default.sequence
    return Indent(mapping, sequence, max(sequence - 2, 0))


def _block_children(node: Any) -> Iterator[tuple[CommentedMap, Any, Any]]:
    """(mapping, key, value) for every non-empty block mapping or sequence held by a key."""
    if isinstance(node, CommentedMap):
        for key, child in node.items():
            if _is_block(child):
                yield node, key, child
            yield from _block_children(child)
    elif isinstance(node, CommentedSeq):
        for item in node:
            yield from _block_children(item)


def _is_block(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq) and len(node) > 0 and not node.fa.flow_style()


def _set(doc: CommentedMap, path: tuple[str, ...], value: Any, file: str) -> None:
    node = doc
    for depth, key in enumerate(path[:-1]):
        child = node.get(key)
        if child is None:
            _put(node, key, _nested(path[depth + 1 :], value, flow=bool(node.fa.flow_style())))
            return
        if not isinstance(child, CommentedMap):
            where = ".".join(path[: depth + 1])
            raise PromoteError(f"{file}: cannot set {'.'.join(path)}: {where} is not a mapping")
        node = child
    _put(node, path[-1], _styled(node.get(path[-1]), value))


def _nested(keys: Sequence[str], value: Any, *, flow: bool) -> CommentedMap:
    """`{a: {b: value}}` for keys `a`, `b`; in flow style inside a flow mapping."""
    holder = CommentedMap()
    if flow:
        holder.fa.set_flow_style()
    holder[keys[0]] = _nested(keys[1:], value, flow=flow) if len(keys) > 1 else value
    return holder


def _styled(old: Any, new: Any) -> Any:
    """`new`, quoted as `old` was (a double-quoted "2.7.0" gives a double-quoted "2.8.0")."""
    if isinstance(old, ScalarString) and isinstance(new, str):
        return type(old)(new)
    return new


def _put(node: CommentedMap, key: str, value: Any) -> None:
    if key in node or not _is_block(node):
        node[key] = value
        return
    last = next(reversed(node))
    blank = _blank_before(node, last)
    tail = _take_tail(node, last)
    node[key] = value
    if blank:
        _slot(node, key)[1] = [CommentToken("\n", CommentMark(0))]
    if tail:
        holder, inner = _deepest_last(node, key)
        _slot(holder, inner)[2 if isinstance(holder, CommentedMap) else 0] = CommentToken(
            "\n" + tail, CommentMark(0)
        )


def _slot(holder: CommentedBase, key: Any) -> list[Any]:
    """ruamel's comment slots of `holder[key]`: [.., before, after, ..] for a mapping entry."""
    size = 4 if isinstance(holder, CommentedMap) else 2
    slot: list[Any] = holder.ca.items.setdefault(key, [None] * size)
    return slot


def _deepest_last(node: Any, key: Any) -> tuple[CommentedBase, Any]:
    """The collection and key of the last scalar (or flow collection) under `node[key]`:
    where ruamel keeps the comments and blank lines that follow a block."""
    child = node[key]
    while _is_block(child):
        node, key = child, (next(reversed(child)) if isinstance(child, CommentedMap) else len(child) - 1)
        child = node[key]
    return node, key


def _tail_token(node: CommentedMap, key: Any) -> CommentToken | None:
    """The comment token after the last line of `node[key]`, if any."""
    holder, last = _deepest_last(node, key)
    slot = holder.ca.items.get(last)
    token = slot[2 if isinstance(holder, CommentedMap) else 0] if slot else None
    return token if isinstance(token, CommentToken) else None


def _take_tail(node: CommentedMap, key: Any) -> str:
    """Detach what follows the last line of `node[key]` (blank lines, comments)."""
    token = _tail_token(node, key)
    if token is None:
        return ""
    line, _, tail = token.value.partition("\n")
    token.value = line + "\n"
    return str(tail)


def _blank_before(node: CommentedMap, key: Any) -> bool:
    """True when a blank line separates `node[key]` from the entry before it."""
    slot = node.ca.items.get(key)
    before = slot[1] if slot else None
    if before and str(before[0].value).startswith("\n"):
        return True
    keys = list(node)
    index = keys.index(key)
    token = _tail_token(node, keys[index - 1]) if index > 0 else None
    return token is not None and token.value.partition("\n")[2].startswith("\n")
