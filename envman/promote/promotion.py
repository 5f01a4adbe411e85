"""What a promotion changes (pure): for each app present in both environments, `version` and
each value path of the source app's `promote` list, taken from the source's effective
app-level spec (the extends chain's valuesFiles and values, no region or cluster override).

Every change is written into the destination's own file, at the spec path that wins there:
`apps.<app>.version`, or `apps.<app>.values.<path>` (an inline value wins over every
valuesFile and every base, so a value the destination inherits or reads from a valuesFile
gets an inline override; the valuesFile itself is never edited). Region and cluster
overrides of a promoted field are warnings, or changes of their own with `include_overrides`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from envman.kit.suggest import did_you_mean
from envman.plan.values import app_level_values
from envman.promote.errors import PromoteError
from envman.spec.environment import Environment
from envman.spec.merge import get_path
from envman.spec.models import Override

VERSION = "version"


@dataclass(frozen=True)
class FieldChange:
    """One field of one app, and where the destination file gets its new value."""

    app: str
    field: str
    before: Any
    after: Any
    path: tuple[str, ...]
    scope: str = ""
    defined_in: str | None = None

    @property
    def had_before(self) -> bool:
        return self.defined_in is not None

    @property
    def label(self) -> str:
        """`image.tag`, or `image.tag (cluster prod-use1-canary)` for an override."""
        return f"{self.field} ({self.scope})" if self.scope else self.field


@dataclass
class Promotion:
    """The changes of `source` -> `destination`, and what the user should know about."""

    source: str
    destination: str
    file: str
    apps: tuple[str, ...]
    changes: list[FieldChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    promoted: dict[str, dict[str, Any]] = field(default_factory=dict)


def show(value: Any) -> str:
    """A value as YAML would show it, for tables and messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def select_apps(src: Environment, dst: Environment, wanted: Sequence[str]) -> tuple[str, ...]:
    """The apps of both environments (destination order), or the `wanted` ones, checked."""
    if not wanted:
        return tuple(app for app in dst.apps if app in src.apps)
    problems = [p for app in wanted if (p := _app_problem(src, dst, app))]
    if problems:
        raise PromoteError("\n".join(problems))
    return tuple(dict.fromkeys(wanted))


def _app_problem(src: Environment, dst: Environment, app: str) -> str | None:
    if app in src.apps and app in dst.apps:
        return None
    if app in src.apps or app in dst.apps:
        only, other = (src, dst) if app in src.apps else (dst, src)
        return f"app {app!r} is only in {only.name}, not in {other.name}; it cannot be promoted"
    return f"unknown app {app!r}{did_you_mean(app, [*src.apps, *dst.apps])}"


def plan_promotion(
    src: Environment, dst: Environment, apps: Sequence[str] = (), *, include_overrides: bool = False
) -> Promotion:
    """Every change promoting `src` into `dst` (the `apps` only, when given)."""
    promotion = Promotion(src.name, dst.name, dst.file, select_apps(src, dst, apps))
    for app in promotion.apps:
        promoted = _promoted_fields(src, app, promotion.warnings)
        promotion.promoted[app] = promoted
        for name, value in promoted.items():
            change = _app_level_change(dst, app, name, value)
            if change is not None:
                promotion.changes.append(change)
            for over in _override_changes(dst, app, name, value):
                if include_overrides:
                    promotion.changes.append(over)
                else:
                    promotion.warnings.append(_override_warning(dst, over))
    return promotion


def _promoted_fields(src: Environment, app: str, warnings: list[str]) -> dict[str, Any]:
    """Field -> the source's app-level value: `version` when the source sets one (a local
    chart without one takes Chart.yaml's), then each `promote` path the source defines."""
    spec = src.apps[app]
    fields: dict[str, Any] = {VERSION: spec.version} if spec.version is not None else {}
    values = app_level_values(src, app)
    for dotted in spec.promote:
        found, value = get_path(values, dotted)
        if found:
            fields[dotted] = value
        else:
            warnings.append(f"{src.name} sets no {dotted} for {app}; it is not promoted")
    return fields


def _spec_path(app: str, name: str, *scope: str) -> tuple[str, ...]:
    tail = (VERSION,) if name == VERSION else ("values", *name.split("."))
    return ("apps", app, *scope, *tail)


def _app_level_change(dst: Environment, app: str, name: str, value: Any) -> FieldChange | None:
    if name == VERSION:
        before = dst.apps[app].version
        location = dst.locations.values.get(_spec_path(app, name)) if before is not None else None
        origin = location.file if location else None
    else:
        _, before = get_path(app_level_values(dst, app), name)
        origin = _value_origin(dst, app, name)
    if origin is not None and before == value:
        return None
    return FieldChange(app, name, before, value, _spec_path(app, name), defined_in=origin)


def _value_origin(env: Environment, app: str, dotted: str) -> str | None:
    """The file whose app-level layer sets `dotted` last (a valuesFile or an environment file)."""
    origin = None
    for layer in env.value_layers.get(app, ()):
        for name in layer.values_files:
            if get_path(env.values_files.get(name) or {}, dotted)[0]:
                origin = name
        if get_path(layer.values, dotted)[0]:
            origin = layer.file
    return origin


def _overrides(env: Environment, app: str) -> Iterator[tuple[str, str, Override]]:
    spec = env.apps[app]
    for kind, overrides in (("regions", spec.regions), ("clusters", spec.clusters)):
        for name, override in overrides.items():
            yield kind, name, override


def _override_changes(dst: Environment, app: str, name: str, value: Any) -> Iterator[FieldChange]:
    """The destination's region and cluster overrides that would mask the promoted value."""
    for kind, where, override in _overrides(dst, app):
        if name == VERSION:
            found, before = override.version is not None, override.version
        else:
            found, before = get_path(override.values, name)
        if found and before != value:
            path = _spec_path(app, name, kind, where)
            location = dst.locations.values.get(path)
            yield FieldChange(
                app, name, before, value, path, f"{kind[:-1]} {where}", location.file if location else None
            )


def _override_warning(dst: Environment, change: FieldChange) -> str:
    where = dst.value_at(*change.path)
    return (
        f"{where}: {change.app} {change.field} is overridden for {change.scope} "
        f"({show(change.before)}), which keeps the promoted {show(change.after)} from it; "
        "--include-overrides updates it"
    )
