"""Per (cluster, app) layering: enabled, version and values (README, The environment spec)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from envman.spec.environment import Environment
from envman.spec.merge import deep_merge
from envman.spec.models import Override


def _overrides(env: Environment, app: str, cluster: str) -> Iterator[Override]:
    """The region override, then the cluster override, of `app` on `cluster`."""
    spec = env.apps[app]
    region = env.clusters[cluster].region
    for override in (spec.regions.get(region), spec.clusters.get(cluster)):
        if override is not None:
            yield override


def is_enabled(env: Environment, app: str, cluster: str) -> bool:
    enabled = env.apps[app].enabled
    for override in _overrides(env, app, cluster):
        if override.enabled is not None:
            enabled = override.enabled
    return enabled


def chart_version(env: Environment, app: str, cluster: str) -> str | None:
    """The chart version for `app` on `cluster`; for a local chart without one, its Chart.yaml's."""
    spec = env.apps[app]
    version = spec.version
    for override in _overrides(env, app, cluster):
        if override.version is not None:
            version = override.version
    return version if version is not None else env.chart_versions.get(spec.chart)


def app_level_values(env: Environment, app: str) -> dict[str, Any]:
    """An app's values before any region or cluster override: each file of the extends
    chain, its valuesFiles then its inline values."""
    merged: dict[str, Any] = {}
    for layer in env.value_layers.get(app, ()):
        for file in layer.values_files:
            merged = deep_merge(merged, env.values_files.get(file) or {})
        merged = deep_merge(merged, layer.values)
    return merged


def app_values(env: Environment, app: str, cluster: str) -> dict[str, Any]:
    """The user-supplied values of `app` on `cluster`, secrets not included.

    Layers, later wins: the app-level values (each file of the extends chain: its
    valuesFiles, then its values), then the region override, then the cluster override.
    Chart defaults stay with helm.
    """
    merged = app_level_values(env, app)
    for override in _overrides(env, app, cluster):
        merged = deep_merge(merged, override.values)
    return merged
