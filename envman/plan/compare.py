"""Desired vs live: the plan of a whole environment (pure)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from envman.plan.cluster_state import APP_LABEL, DIGEST_LABEL, HIDDEN, ClusterState, LiveRelease
from envman.plan.desired import DesiredRelease
from envman.plan.drift import ObjectDrift, object_drift, secret_texts
from envman.plan.fleet import Fleet
from envman.plan.manifests import ObjectRef, manifest_differences, manifest_objects
from envman.plan.model import CHART_CONTENT, Action, Change, ClusterPlan, Plan, ReleasePlan, WavePlan
from envman.plan.select import Selection
from envman.plan.verification import release_digest

DEPLOYED = "deployed"
_ABSENT = object()


def value_changes(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    secret_paths: tuple[str, ...] = (),
    skipped: tuple[str, ...] = (),
) -> list[Change]:
    """Every changed leaf as a dotted path; lists compare whole; paths under a secret are
    marked; `skipped` paths (secrets not resolved) and what is under them are not compared."""
    return [
        Change(path, _shown(old), _shown(new), secret=_is_secret(path, secret_paths))
        for path, old, new in _diff(_without(before, skipped), _without(after, skipped), "")
    ]


def _without(values: Mapping[str, Any], paths: tuple[str, ...]) -> Mapping[str, Any]:
    """`values` without `paths`, a map emptied by that removed too."""
    if not paths:
        return values
    kept: dict[str, Any] = json.loads(json.dumps(values, default=str))
    for path in paths:
        _remove(kept, path.split("."))
    return kept


def _remove(node: dict[str, Any], parts: list[str]) -> None:
    head, *rest = parts
    if not rest:
        node.pop(head, None)
        return
    child = node.get(head)
    if isinstance(child, dict):
        _remove(child, rest)
        if not child:
            node.pop(head)


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


NO_OBJECT_CHANGED = "chart files changed, no object changed"


def needs_render(desired: DesiredRelease, live: LiveRelease | None) -> bool:
    """Whether the plan renders `desired` to compare it: a new release, or one whose chart
    content digest (or its record), version or values differ from what runs. A release whose
    digest, version and values all match is never rendered."""
    if live is None:
        return True
    if desired.chart_digest is not None and live.labels.get(DIGEST_LABEL) != desired.chart_digest:
        return True
    if desired.chart.version is not None and desired.chart.version != live.chart_version:
        return True
    return bool(_value_changes(desired, live))


def release_plan(
    desired: DesiredRelease,
    live: LiveRelease | None,
    objects: Mapping[ObjectRef, Mapping[str, Any] | None] | None = None,
    rendered: str | None = None,
) -> ReleasePlan:
    """Install, upgrade or unchanged, with what changes and what drifted live.

    `objects` are the live objects of the release's stored manifest (None: not read);
    `rendered` is the desired manifest, hooks included, where `needs_render` asked for it
    (None: not rendered, e.g. `status`): compared object by object with what the release
    stores, it decides whether a chart edit changes anything."""
    notes = tuple(f"secret not compared: {path}" for path in desired.unresolved)
    if live is None:
        digest = release_digest(desired, live)
        return ReleasePlan(
            desired.cluster,
            desired.app,
            desired.release,
            desired.namespace,
            Action.INSTALL,
            desired,
            None,
            notes=notes,
            digest=digest,
        )
    changes: list[Change] = []
    if desired.chart.version is not None and desired.chart.version != live.chart_version:
        changes.append(Change("version", live.chart_version, desired.chart.version))
    if live.status != DEPLOYED:
        changes.append(Change("status", live.status, DEPLOYED))
    values = _value_changes(desired, live)
    content, same_objects = _content_changes(desired, live, rendered, inputs_changed=bool(changes or values))
    changes.extend(content)
    changes.extend(values)
    if same_objects:
        notes += (NO_OBJECT_CHANGED,)
        # what runs is what the spec wants: the verification record of it still holds
        desired = replace(desired, chart_digest=live.labels.get(DIGEST_LABEL))
    drift = live_drift(desired, live, objects) if objects is not None else ()
    action = Action.UPGRADE if changes or drift else Action.UNCHANGED
    return ReleasePlan(
        desired.cluster,
        desired.app,
        desired.release,
        desired.namespace,
        action,
        desired,
        live,
        tuple(changes),
        drift,
        notes,
        release_digest(desired, live),
    )


def _value_changes(desired: DesiredRelease, live: LiveRelease) -> list[Change]:
    """Value changes; a path the live release records as secret (a secret since removed
    from the spec) is hidden as well; with a path it could not record, every removed one is."""
    recorded = live.secret_paths
    secret = (*desired.secret_paths, *(p for p in recorded if p != HIDDEN))
    changes = value_changes(live.values, desired.values, secret, desired.unresolved)
    if HIDDEN in recorded:
        changes = [replace(c, secret=True) if c.after is None else c for c in changes]
    return changes


def _content_changes(
    desired: DesiredRelease, live: LiveRelease, rendered: str | None, *, inputs_changed: bool
) -> tuple[list[Change], bool]:
    """The change of the chart's content, and whether its files changed but no object did.

    The digest decides when it matches. Otherwise the rendering (desired values, hooks
    included) is compared with what the release stores: with the version and values
    unchanged, every differing object is the chart's doing; none differing is no change.
    With the version or values changed too, the objects differ for those as well, so the
    content change is the digest's (or, without a recorded one, not told apart)."""
    if desired.chart_digest is None:
        return [], False
    recorded = live.labels.get(DIGEST_LABEL)
    if recorded == desired.chart_digest:
        return [], False
    if rendered is None or inputs_changed:
        if recorded is None:
            return [], False
        return [Change(CHART_CONTENT, recorded[:12], desired.chart_digest[:12])], False
    differing = manifest_differences(live.all_objects, rendered, desired.namespace)
    if not differing:
        return [], recorded is not None
    return [Change(CHART_CONTENT, None, "; ".join(differing))], False


def live_drift(
    desired: DesiredRelease, live: LiveRelease, objects: Mapping[ObjectRef, Mapping[str, Any] | None]
) -> tuple[ObjectDrift, ...]:
    """Every object of the stored manifest that is missing or modified live."""
    found = []
    hidden = secret_texts((*live.secret_paths, *desired.secret_paths), live.values, desired.values)
    for obj in manifest_objects(live.manifest, live.namespace):
        if obj.ref in objects:
            drift = object_drift(obj, objects[obj.ref], desired.ignore, hidden)
            if drift is not None:
                found.append(drift)
    return tuple(found)


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
    rendered: Mapping[tuple[str, str], str] | None = None,
) -> ClusterPlan:
    """The releases of `cluster` in dependency layers, then its uninstalls (with `prune`)."""
    layers: list[tuple[ReleasePlan, ...]] = []
    for layer in fleet.layers[cluster]:
        plans = tuple(
            release_plan(
                desired[app],
                state.get(desired[app].namespace, desired[app].release),
                state.objects,
                (rendered or {}).get((cluster, app)),
            )
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
    rendered: Mapping[tuple[str, str], str] | None = None,
) -> Plan:
    """The plan of the selected clusters and apps; `desired` maps cluster -> app -> release;
    `rendered` maps (cluster, app) -> desired manifest where the content is compared by
    rendering (see `release_plan`)."""
    waves = []
    for wave in fleet.waves:
        clusters = tuple(
            cluster_plan(fleet, c, desired.get(c, {}), states[c], selection, prune, rendered)
            for c in wave.clusters
            if c in selection.clusters
        )
        if clusters:
            unverified = frozenset(k for c in clusters for k in _unverified(wave.name, c, states[c.name]))
            waves.append(WavePlan(wave, clusters, unverified))
    return Plan(fleet.env.name, tuple(waves))


def _unverified(wave: str, cluster: ClusterPlan, state: ClusterState) -> Iterator[tuple[str, str]]:
    """Each release of `cluster` whose desired state `wave`'s gates and bake never passed."""
    record = state.verifications.get(wave)
    for release in cluster.releases:
        if release.desired is not None and (
            record is None or record.releases.get(release.app) != release.digest
        ):
            yield cluster.name, release.app
