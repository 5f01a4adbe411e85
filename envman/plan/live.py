"""What runs on a cluster, as envman needs it for planning (filled in by the drivers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MANAGED_BY = "managed-by"
MANAGED_BY_ENVMAN = "envman"
ENV_LABEL = "envman.io/environment"
APP_LABEL = "envman.io/app"


def managed_labels(environment: str, app: str) -> dict[str, str]:
    """The helm release labels that mark a release as envman's."""
    return {MANAGED_BY: MANAGED_BY_ENVMAN, ENV_LABEL: environment, APP_LABEL: app}


@dataclass(frozen=True)
class LiveRelease:
    """The current revision of a helm release on one cluster."""

    name: str
    namespace: str
    revision: int
    status: str
    chart_name: str
    chart_version: str
    values: dict[str, Any] = field(hash=False, default_factory=dict)
    labels: dict[str, str] = field(hash=False, default_factory=dict)
    updated: datetime | None = None
    manifest: str = field(hash=False, default="", repr=False)

    def managed_by(self, environment: str) -> bool:
        return self.labels.get(MANAGED_BY) == MANAGED_BY_ENVMAN and self.labels.get(ENV_LABEL) == environment


@dataclass(frozen=True)
class ClusterState:
    """Every release of one cluster, by (namespace, name)."""

    cluster: str
    releases: dict[tuple[str, str], LiveRelease] = field(hash=False, default_factory=dict)

    def get(self, namespace: str, name: str) -> LiveRelease | None:
        return self.releases.get((namespace, name))
