"""Desired vs live: the plan of a whole environment (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from envman.plan.desired import DesiredRelease
from envman.plan.fleet import Fleet
from envman.plan.live import APP_LABEL, ClusterState, LiveRelease
from envman.plan.model import Action, Change, ClusterPlan, Plan, ReleasePlan, WavePlan
from envman.plan.select import Selection

DEPLOYED = "deployed"
_ABSENT = object()


def value_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], secret_paths: tuple[str, ...] = ()
) -> list[Change]:
    """Every changed leaf as a dotted path; lists compare whole; paths under a secret are marked."""
    return [
        Change(path, _shown(old), _shown(new), secret=_is_secret(path, secret_paths))
        for path, old, new in _diff(before, after, "")
    ]


def _diff(before: Any, after: Any, prefix: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            yield from _diff(before.get(key, _ABSENT), after.get(key, _ABSENT), path)
    elif before != after or (type(before) is not type(after) and not _same_number(before, after)):
        yield prefix, before, after


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    plain = isinstance(a, numbers) and isinstance(b, numbers)
    return plain and not isinstance(a, bool) and not isinstance(b, bool) and a == b


def _shown(value: Any) -> Any:
    return None if value is _ABSENT else value


def _is_secret(path: str, secret_paths: tuple[str, ...]) -> bool:
    return any(path == s or path.startswith(s + ".") or s.startswith(path + ".") for s in secret_paths)


def release_plan(desired: DesiredRelease, live: LiveRelease | None) -> ReleasePlan:
    """Install, upgrade or unchanged, with what changes."""
    if live is None:
        return ReleasePlan(
            desired.cluster, desired.app, desired.release, desired.namespace, Action.INSTALL, desired, None
        )
    changes: list[Change] = []
    if desired.chart.version is not None and desired.chart.version != live.chart_version:
        changes.append(Change("version", live.chart_version, desired.chart.version))
    if live.status != DEPLOYED:
        changes.append(Change("status", live.status, DEPLOYED))
    changes.extend(value_changes(live.values, desired.values, desired.secret_paths))
    action = Action.UPGRADE if changes else Action.UNCHANGED
    return ReleasePlan(
        desired.cluster,
        desired.app,
        desired.release,
        desired.namespace,
        action,
        desired,
        live,
        tuple(changes),
    )


def _orphans(
    fleet: Fleet, cluster: str, state: ClusterState, wanted: set[tuple[str, str]], apps: tuple[str, ...]
) -> list[ReleasePlan]:
    """envman's releases of this environment on `cluster` that the spec no longer wants."""
    env = fleet.env.name
    found = []
    for key, live in sorted(state.releases.items()):
        app = live.labels.get(APP_LABEL, "")
        if key in wanted or not live.managed_by(env) or (app in fleet.env.apps and app not in apps):
            continue
        found.append(
            ReleasePlan(cluster, app or live.name, live.name, live.namespace, Action.UNINSTALL, None, live)
        )
    return found


def cluster_plan(
    fleet: Fleet,
    cluster: str,
    desired: Mapping[str, DesiredRelease],
    state: ClusterState,
    selection: Selection,
    prune: bool,
) -> ClusterPlan:
    """The releases of `cluster` in dependency layers, then its uninstalls (with `prune`)."""
    layers: list[tuple[ReleasePlan, ...]] = []
    for layer in fleet.layers[cluster]:
        plans = tuple(
            release_plan(desired[app], state.get(desired[app].namespace, desired[app].release))
            for app in layer
            if app in desired
        )
        if plans:
            layers.append(plans)
    if prune:
        wanted = {(d.namespace, d.release) for d in desired.values()}
        orphans = _orphans(fleet, cluster, state, wanted, selection.apps)
        if orphans:
            layers.append(tuple(orphans))
    return ClusterPlan(cluster, fleet.region_of(cluster), tuple(layers))


def build_plan(
    fleet: Fleet,
    selection: Selection,
    desired: Mapping[str, Mapping[str, DesiredRelease]],
    states: Mapping[str, ClusterState],
    prune: bool = False,
) -> Plan:
    """The plan of the selected clusters and apps; `desired` maps cluster -> app -> release."""
    waves = []
    for wave in fleet.waves:
        clusters = tuple(
            cluster_plan(fleet, c, desired.get(c, {}), states[c], selection, prune)
            for c in wave.clusters
            if c in selection.clusters
        )
        if clusters:
            waves.append(WavePlan(wave, clusters))
    return Plan(fleet.env.name, tuple(waves))
