"""Pydantic validation errors turned into located, readable problems with suggestions."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from envman.kit.errors import Problem
from envman.kit.suggest import closest, did_you_mean
from envman.spec.environment import path_text
from envman.spec.yamlsrc import Locations, Path_


def problems_from(
    exc: ValidationError, model: type[BaseModel], locs: Locations, data: Mapping[str, Any] | None = None
) -> Iterator[Problem]:
    """One problem per error of `exc`, located through `locs`; `data` (what was validated)
    lets a named entry that misses a key be matched with a sibling of a close name."""
    for error in exc.errors(include_url=False):
        yield _problem(error, model, locs, data or {})


def _problem(
    error: ErrorDetails, model: type[BaseModel], locs: Locations, data: Mapping[str, Any]
) -> Problem:
    path: Path_ = tuple(p for p in error["loc"] if p != "[key]")
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        where = f" in {path_text(path[:-1])}" if path[:-1] else ""
        hint = did_you_mean(key, _fields_at(model, path[:-1]))
        return Problem(f"unknown key {key!r}{where}{hint}", locs.key(path))
    if kind == "missing":
        where = path_text(path[:-1]) or "the top level"
        hint = _sibling(path[:-1], data)
        return Problem(f"missing required key {str(path[-1])!r} in {where}{hint}", locs.key(path[:-1]))
    message = _message(error)
    subject = path_text(path) or "document"
    if "[key]" in error["loc"]:
        return Problem(f"{subject}: {message}", locs.key(path))
    return Problem(f"{subject}: {message}", locs.value(path))


def _sibling(path: Path_, data: Mapping[str, Any]) -> str:
    """For an app that misses a key, an app of a close name (`wroker`: `worker`, maybe defined
    in the base): the entry is likely a misspelt override, not a new app."""
    if len(path) != 2 or path[0] != "apps" or not isinstance(data.get("apps"), Mapping):
        return ""
    name, siblings = str(path[1]), [str(k) for k in data["apps"] if k != path[1]]
    match = closest(name, siblings)
    return f"; a new entry, or did you mean {match!r}?" if match is not None else ""


def _message(error: ErrorDetails) -> str:
    msg = error["msg"].removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    if error["type"].endswith("_type") and not isinstance(error["input"], dict | list):
        msg += f", got {_describe(error['input'])}"
    return msg


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    kind = {bool: "boolean", int: "number", float: "number", str: "string"}.get(type(value))
    if kind is None:
        return type(value).__name__
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    return f"{kind} {shown}" + ("; quote it to make it a string" if kind == "number" else "")


def _fields_at(model: type[BaseModel], path: Path_) -> list[str]:
    """Field names of the model found at `path` inside `model`, or none."""
    node: Any = model
    for part in path:
        node = _step(node, part)
        if node is None:
            return []
    return list(node.model_fields) if _is_model(node) else []


def _step(node: Any, part: str | int) -> Any:
    node = _unwrap(node)
    if _is_model(node):
        field = node.model_fields.get(str(part))
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(node)
    args = typing.get_args(node)
    if origin is dict and args:
        return _unwrap(args[1])
    if origin is list and args:
        return _unwrap(args[0])
    return None


def _unwrap(annotation: Any) -> Any:
    """The structured member of `X | None` or `Annotated[X, ...]`."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if _is_model(arg) or typing.get_origin(arg) in (dict, list):
                return arg
    return annotation


def _is_model(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)
