"""The base of every spec model (strict: unknown keys are errors) and the `Duration` type."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from envman.kit.durations import DURATION_PATTERN, parse_duration


def _duration(value: object) -> float:
    if not isinstance(value, str):
        raise ValueError(f"expected a duration like 30s, 10m or 1h30m, got {value!r}")
    return parse_duration(value)


DURATION_SCHEMA = {"type": "string", "pattern": DURATION_PATTERN, "examples": ["30s", "10m", "1h30m"]}
Duration = Annotated[float, BeforeValidator(_duration), WithJsonSchema(DURATION_SCHEMA)]
"""A duration written as `30s`, `10m`, `1h30m`; held in seconds."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True)
