"""The Argo CD Application of a desired release (pure).

One Application per release, in the hub's Argo CD namespace: its source is the chart (a
remote chart's repository, name and version; a local chart's git repository, path and the
synced commit), `helm.releaseName` and `helm.valuesObject` (the release's merged values);
its destination the cluster's Argo CD name and the release's namespace. No automated sync
policy: envman starts every sync (`operation`). The finalizer makes a deletion remove the
release's resources. Labels say environment, wave, cluster and app; the dependency layer is
the `argocd.argoproj.io/sync-wave` annotation (what orders an app-of-apps).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from envman.kit.errors import PlanError
from envman.plan.argocd.names import application_name, label_value
from envman.plan.cluster_state import APP_LABEL, COMMIT_LABEL, DIGEST_LABEL, ENV_LABEL, STATE_LABEL
from envman.plan.desired import ChartSource, DesiredRelease
from envman.plan.drift import IgnoreRule
from envman.plan.fleet import Fleet

API_VERSION = "argoproj.io/v1alpha1"
KIND = "Application"
GROUP, VERSION = API_VERSION.split("/")
PLURAL = "applications"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "envman"
"""The field manager of envman's server-side applies, and the `initiatedBy` of its syncs."""
WAVE_LABEL = "envman.io/wave"
CLUSTER_LABEL = "envman.io/cluster"
VERSION_ANNOTATION = "envman.io/chart-version"
REVISIONS_ANNOTATION = "envman.io/revisions"
"""The specs envman synced successfully, by Argo CD history id (see `revisions`)."""
CARRIED = (COMMIT_LABEL, DIGEST_LABEL, STATE_LABEL)
"""The release labels an Application carries as annotations (no secret path: the argocd
engine takes no secrets)."""
SYNC_OPTIONS = ("CreateNamespace=true", "ServerSideApply=true")
RESPECT_IGNORED = "RespectIgnoreDifferences=true"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


@dataclass(frozen=True)
class Hub:
    """Where the Applications live: the Argo CD namespace and the AppProject."""

    namespace: str = "argocd"
    project: str = "default"


@dataclass(frozen=True)
class GitSource:
    """Where Argo CD reads local charts: the repository URL, the commit synced, and the
    envman root's path inside the git repository ("" at its top)."""

    repo_url: str
    commit: str
    prefix: str = ""


@dataclass(frozen=True)
class Placement:
    """Where one release's Application goes and what marks it."""

    environment: str
    cluster: str
    app: str
    wave: str
    layer: int
    """The release's dependency layer on its cluster (0 first): its sync-wave."""
    destination: str
    """Argo CD's name of the destination cluster (`argocdName`, default the cluster's name)."""
    ignore: tuple[IgnoreRule, ...] = ()
    """The app's `ignoreDifferences`."""

    @property
    def name(self) -> str:
        return application_name(self.environment, self.cluster, self.app)


def chart_source(chart: ChartSource, chart_spec: str, git: GitSource | None) -> dict[str, Any]:
    """The Application source of a chart: a remote chart's repository (an OCI registry path
    without `oci://`, as Argo CD takes Helm OCI repositories), name and version; a local chart's
    git repository, its path there and the commit."""
    if chart.ref.startswith("oci://"):
        registry, _, name = chart.ref.removeprefix("oci://").rpartition("/")
        return {"repoURL": registry, "chart": name, "targetRevision": chart.version or ""}
    if chart.repo_url is not None:
        return {"repoURL": chart.repo_url, "chart": chart.ref, "targetRevision": chart.version or ""}
    if git is None:
        raise PlanError(f"{chart_spec}: a local chart needs a git repository for Argo CD to read it from")
    path = posixpath.normpath(posixpath.join(git.prefix, chart_spec))
    return {"repoURL": git.repo_url, "path": path, "targetRevision": git.commit}


def application(
    place: Placement,
    hub: Hub,
    *,
    release: str,
    namespace: str,
    source: Mapping[str, Any],
    values: Mapping[str, Any],
    version: str | None = None,
    carried: Mapping[str, str] | None = None,
    ignore: Sequence[IgnoreRule] = (),
) -> dict[str, Any]:
    """The Application of one release; `carried` are release labels kept as annotations
    (commit, chart digest), `version` the chart's version (recorded for a local chart)."""
    annotations = {SYNC_WAVE: str(place.layer)}
    annotations.update({k: v for k, v in (carried or {}).items() if k in CARRIED})
    if version is not None and "path" in source:  # a remote chart's version is its targetRevision
        annotations[VERSION_ANNOTATION] = version
    options = [*SYNC_OPTIONS, RESPECT_IGNORED] if ignore else list(SYNC_OPTIONS)
    spec: dict[str, Any] = {
        "project": hub.project,
        "source": with_helm(source, release, values),
        "destination": {"name": place.destination, "namespace": namespace},
        "syncPolicy": {"syncOptions": options},
    }
    if ignore:
        spec["ignoreDifferences"] = ignore_differences(ignore)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": place.name,
            "namespace": hub.namespace,
            "labels": labels(place),
            "annotations": annotations,
            "finalizers": [FINALIZER],
        },
        "spec": spec,
    }


def with_helm(source: Mapping[str, Any], release: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """`source` with its helm release name and values (a JSON-clean copy of them)."""
    plain = json.loads(json.dumps(dict(values), default=str))
    return {**source, "helm": {"releaseName": release, "valuesObject": plain}}


def labels(place: Placement) -> dict[str, str]:
    """The Application's labels: envman's, environment, wave, cluster and app."""
    return {
        MANAGED_BY: MANAGER,
        ENV_LABEL: label_value(place.environment),
        WAVE_LABEL: label_value(place.wave),
        CLUSTER_LABEL: label_value(place.cluster),
        APP_LABEL: label_value(place.app),
    }


def ignore_differences(rules: Sequence[IgnoreRule]) -> list[dict[str, Any]]:
    """An app's `ignoreDifferences` as Argo CD's (jq paths; a rule without kind: every kind)."""
    return [
        {"group": "*", "kind": rule.kind or "*", "jqPathExpressions": [jq_path(p) for p in rule.paths]}
        for rule in rules
    ]


def jq_path(path: str) -> str:
    """A dotted path as a jq path: `spec.containers[*].image` (any item) is
    `.spec.containers[].image`, `[0]` an index, `[api]` the item named api (as drift names
    list items), a key that is not an identifier quoted (`.annotations["example.com/x"]`)."""
    stages: list[str] = []
    current = ""
    for key, index in _SEGMENT.findall(path):
        if key:
            current += f".{key}" if _IDENTIFIER.match(key) else f"[{json.dumps(key)}]"
        elif index == "*" or index.isdigit():
            current += "[]" if index == "*" else f"[{index}]"
        else:
            stages.append(f"{current}[] | select(.name == {json.dumps(index)})")
            current = ""
    if current or not stages:
        stages.append(current or ".")
    return " | ".join(stages)


def sync_operation(revision: str, options: Sequence[str]) -> dict[str, Any]:
    """The `operation` that starts a sync, as `argocd app sync` sets it; `prune` removes what
    the chart no longer renders, as a helm upgrade does."""
    return {
        "initiatedBy": {"username": MANAGER},
        "sync": {"revision": revision, "prune": True, "syncOptions": list(options)},
    }


def placements(fleet: Fleet) -> dict[tuple[str, str], Placement]:
    """The placement of every (cluster, app) enabled in `fleet`."""
    env = fleet.env
    wave_of = {cluster: wave.name for wave in fleet.waves for cluster in wave.clusters}
    found = {}
    for cluster, layers in fleet.layers.items():
        destination = env.clusters[cluster].argocdName or cluster
        for index, layer in enumerate(layers):
            for app in layer:
                ignore = tuple(IgnoreRule(r.kind, tuple(r.paths)) for r in env.apps[app].ignoreDifferences)
                found[cluster, app] = Placement(
                    env.name, cluster, app, wave_of.get(cluster, ""), index, destination, ignore
                )
    return found


def restored(
    live: Mapping[str, Any], source: Mapping[str, Any], carried: Mapping[str, str]
) -> dict[str, Any]:
    """The Application `live` with an earlier synced `source` and the annotations that spec
    carried (commit, chart digest, chart version): what a rollback applies."""
    meta = live.get("metadata") or {}
    spec = live.get("spec") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k == SYNC_WAVE}
    annotations.update({k: v for k, v in carried.items() if k in (*CARRIED, VERSION_ANNOTATION)})
    ours = (MANAGED_BY, ENV_LABEL, WAVE_LABEL, CLUSTER_LABEL, APP_LABEL)
    body_spec = {
        "project": spec.get("project"),
        "source": dict(source),
        "destination": spec.get("destination"),
        "syncPolicy": spec.get("syncPolicy") or {"syncOptions": list(SYNC_OPTIONS)},
    }
    if spec.get("ignoreDifferences"):
        body_spec["ignoreDifferences"] = spec["ignoreDifferences"]
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "labels": {k: v for k, v in (meta.get("labels") or {}).items() if k in ours},
            "annotations": annotations,
            "finalizers": [FINALIZER],
        },
        "spec": body_spec,
    }


def desired_application(
    release: DesiredRelease, place: Placement, hub: Hub, source: Mapping[str, Any], commit: str | None
) -> dict[str, Any]:
    """The Application `sync` applies for `release` (and `export` writes), synced from `commit`."""
    carried = {COMMIT_LABEL: commit} if commit else {}
    if release.chart_digest is not None:
        carried[DIGEST_LABEL] = release.chart_digest
    return application(
        place,
        hub,
        release=release.release,
        namespace=release.namespace,
        source=source,
        values=release.values,
        version=release.chart.version,
        carried=carried,
        ignore=place.ignore,
    )
