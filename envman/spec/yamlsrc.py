"""YAML documents with the source location of every key and value.

ruamel.yaml's round-trip loader keeps line/column data on its containers; this module turns
a document into plain Python data plus a `Locations` index from value paths to places, so
that any later check can point at `file:line:col`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from envman.kit.errors import Location, Problem, SpecError

Path_ = tuple[str | int, ...]


@dataclass
class Locations:
    """Where each key and each value of a document stands, by value path."""

    keys: dict[Path_, Location] = field(default_factory=dict)
    values: dict[Path_, Location] = field(default_factory=dict)

    def key(self, path: Path_) -> Location | None:
        """The place of the key naming `path` (for list items: the item), or its nearest parent."""
        return self._nearest(self.keys, path) or self._nearest(self.values, path)

    def value(self, path: Path_) -> Location | None:
        """The place of the value at `path`, or of its nearest located parent."""
        return self._nearest(self.values, path) or self._nearest(self.keys, path)

    @staticmethod
    def _nearest(index: Mapping[Path_, Location], path: Path_) -> Location | None:
        for end in range(len(path), -1, -1):
            found = index.get(path[:end])
            if found is not None:
                return found
        return None

    def update(self, other: Locations, prefix: Path_ = ()) -> None:
        """Overlay `other` (rooted at `prefix`): later layers win, as their values do."""
        for path, loc in other.keys.items():
            self.keys[prefix + path] = loc
        for path, loc in other.values.items():
            self.values[prefix + path] = loc


@dataclass
class Document:
    """A parsed YAML file: plain data and the places of its parts."""

    file: str
    data: Any
    locations: Locations


MAX_BYTES = 4 << 20
"""An environment or values file larger than this is refused (4 MiB)."""
MAX_NODES = 100_000
"""Values a document may expand to, aliases followed: an alias bomb stops here."""
MAX_DEPTH = 100
"""Nesting a document may have."""


def parse(text: str, file: str) -> Document:
    """Parse YAML text; malformed YAML, a file over `MAX_BYTES`, nesting deeper than
    `MAX_DEPTH` or more than `MAX_NODES` values once aliases are expanded raise a located
    `SpecError`, in well under a second."""
    if len(text) > MAX_BYTES:
        raise SpecError([Problem(f"file too large: {len(text)} bytes, at most {MAX_BYTES}", Location(file))])
    yaml = YAML(typ="rt")
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as exc:
        raise SpecError([_yaml_problem(exc, file)]) from exc
    except YAMLError as exc:
        raise SpecError([Problem(f"invalid YAML: {exc}", Location(file))]) from exc
    except RecursionError as exc:
        raise SpecError([Problem(f"nesting deeper than {MAX_DEPTH} levels", Location(file, 1, 1))]) from exc
    locations = Locations()
    locations.values[()] = Location(file, 1, 1)
    data = _Plain(file, locations).convert(raw, ())
    return Document(file, data, locations)


def _yaml_problem(exc: MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or exc.context or "invalid YAML"
    if "duplicate key" in what:
        what = what.split(" with value")[0]
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    return Problem(f"invalid YAML: {what}", location)


class _Plain:
    """Converts a round-trip document to plain data, recording where each part stands and
    counting what it expands to."""

    def __init__(self, file: str, locs: Locations) -> None:
        self.file = file
        self.locs = locs
        self.nodes = 0

    def convert(self, node: Any, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or len(path) > MAX_DEPTH:
            raise SpecError([self._too_big(path)])
        if isinstance(node, CommentedMap):
            return {str(k): self._map_item(node, k, path) for k in node}
        if isinstance(node, CommentedSeq):
            return [self._seq_item(node, i, path) for i in range(len(node))]
        return _scalar(node)

    def _too_big(self, path: Path_) -> Problem:
        where = self.locs.value(path)
        if len(path) > MAX_DEPTH:
            return Problem(f"nesting deeper than {MAX_DEPTH} levels", where)
        return Problem(
            f"the document expands to more than {MAX_NODES} values (aliases followed): "
            "an alias bomb, or a file to split",
            where,
        )

    def _map_item(self, node: CommentedMap, key: Any, path: Path_) -> Any:
        child = (*path, str(key))
        for index, getter in ((self.locs.keys, node.lc.key), (self.locs.values, node.lc.value)):
            try:
                line, col = getter(key)
            except (KeyError, TypeError):  # merged (<<) keys carry no position of their own
                continue
            index[child] = Location(self.file, line + 1, col + 1)
        return self.convert(node[key], child)

    def _seq_item(self, node: CommentedSeq, index: int, path: Path_) -> Any:
        child = (*path, index)
        try:
            line, col = node.lc.item(index)
        except (KeyError, TypeError):
            pass
        else:
            self.locs.keys[child] = self.locs.values[child] = Location(self.file, line + 1, col + 1)
        return self.convert(node[index], child)


def _scalar(node: Any) -> Any:
    if node is None:
        return None
    if isinstance(node, bool):
        return bool(node)
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    if isinstance(node, datetime.date):
        return node.isoformat()
    return str(node)


def walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) pair of nested data, parents before children."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, (*path, index))
