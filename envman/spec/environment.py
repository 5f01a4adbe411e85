"""A loaded environment: its validated spec, where each part was written, and its value layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envman.kit.errors import Location, Problem
from envman.spec.models import App, Cluster, EnvironmentSpec
from envman.spec.yamlsrc import Locations, Path_


@dataclass(frozen=True)
class ValueLayer:
    """App-level values contributed by one file of an `extends` chain, in order."""

    file: str
    values_files: tuple[str, ...]
    values: dict[str, Any]


@dataclass
class Environment:
    """One environment file with its `extends` chain layered underneath."""

    name: str
    file: str
    root: Path
    spec: EnvironmentSpec
    locations: Locations
    chain: tuple[str, ...]
    value_layers: dict[str, tuple[ValueLayer, ...]] = field(default_factory=dict)
    values_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    chart_versions: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    """Located problems that do not stop anything (a dotted key in `values`)."""

    @property
    def clusters(self) -> dict[str, Cluster]:
        return self.spec.clusters

    @property
    def apps(self) -> dict[str, App]:
        return self.spec.apps

    def key_at(self, *path: str | int) -> Location | None:
        """Where the key of `path` is written (for name errors)."""
        return self.locations.key(tuple(path))

    def value_at(self, *path: str | int) -> Location | None:
        """Where the value at `path` is written (for value errors)."""
        return self.locations.value(tuple(path))

    def region_names(self) -> set[str]:
        return {cluster.region for cluster in self.clusters.values()}

    def release_name(self, app: str) -> str:
        return self.apps[app].release or app

    def context_of(self, cluster: str) -> str:
        return self.clusters[cluster].context or cluster


def path_text(path: Path_) -> str:
    """`apps.api.clusters` from a value path (list indexes as `[0]`)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
