"""What a change affects: per environment, the releases whose fingerprint moved (pure; the
fingerprints are made by `envman.application.changes`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EnvironmentChange:
    """What a change affects in one environment."""

    name: str
    releases: list[tuple[str, str]] = field(default_factory=list)
    """(cluster, app) pairs whose release changes, appears or goes."""
    rollout: bool = False
    """Its rollout or its cluster list changed: the whole environment is affected."""
    new: bool = False

    @property
    def clusters(self) -> list[str]:
        return sorted({c for c, _ in self.releases})

    @property
    def apps(self) -> list[str]:
        return sorted({a for _, a in self.releases})


@dataclass(frozen=True)
class Fingerprints:
    """One environment: a digest of its rollout and clusters, and one per (cluster, app)."""

    rollout: str
    releases: dict[tuple[str, str], str]


def compare(name: str, before: Fingerprints | None, now: Fingerprints) -> EnvironmentChange:
    if before is None:
        return EnvironmentChange(name, sorted(now.releases), rollout=True, new=True)
    keys = set(before.releases) | set(now.releases)
    moved = sorted(k for k in keys if before.releases.get(k) != now.releases.get(k))
    return EnvironmentChange(name, moved, rollout=before.rollout != now.rollout)
