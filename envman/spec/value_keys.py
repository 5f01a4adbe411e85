"""Warnings about keys in `values` (pure): a dotted key (`image.tag: "9.9"`) is a key with
a dot in it for helm, not a path, so it sets nothing the chart reads and plans look as if it
did (`image.tag: added "9.9"` beside `image.tag: "1.29" -> "1.27"`). Dotted paths are the
syntax of `secrets`, `promote` and `ignoreDifferences` only.

A dotted key is warned about at the top level of `values`, and deeper when its first part is
also a key beside it holding a map (`image: {repository: r}` and `image.tag: t`). Keys with a
`/` (`prometheus.io/scrape`, `kubernetes.io/os`: annotations, labels, node selectors) and
dotted keys deeper in other maps (`spring.datasource.url` in an application's settings) are
names on purpose and never warned about."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from envman.kit.errors import Problem
from envman.spec.environment import Environment, path_text
from envman.spec.yamlsrc import Path_

_DOTTED = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$")


def dotted_keys(env: Environment) -> Iterator[Problem]:
    """A located warning for each dotted key of an app's `values` (and of its region and
    cluster overrides)."""
    for name, app in env.apps.items():
        yield from _walk(env, ("apps", name, "values"), app.values, top=True)
        for kind, overrides in (("regions", app.regions), ("clusters", app.clusters)):
            for key, override in overrides.items():
                yield from _walk(env, ("apps", name, kind, key, "values"), override.values, top=True)


def _walk(env: Environment, path: Path_, values: Mapping[str, Any], *, top: bool) -> Iterator[Problem]:
    for key, value in values.items():
        if _DOTTED.match(key) and (top or isinstance(values.get(key.split(".")[0]), Mapping)):
            yield Problem(
                f"{path_text(path)}: {key!r} is one key with a dot in it, not a path; "
                f"did you mean `{_nested(key, value)}`?",
                env.key_at(*path, key),
            )
        elif isinstance(value, Mapping):
            yield from _walk(env, (*path, key), value, top=False)


def _nested(key: str, value: Any) -> str:
    """`image: {tag: "9.9"}` for `image.tag: "9.9"`."""
    shown = "…" if isinstance(value, Mapping | list) else json.dumps(value, default=str)
    text = shown
    for part in reversed(key.split(".")[1:]):
        text = f"{{{part}: {text}}}"
    return f"{key.split('.', maxsplit=1)[0]}: {text}"
