"""`--cluster`, `--region` and `--app` selectors, checked against the environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from envman.kit.errors import Problem, SpecError
from envman.kit.suggest import did_you_mean
from envman.spec.environment import Environment


@dataclass(frozen=True)
class Selection:
    """The chosen clusters and apps, in spec order."""

    clusters: tuple[str, ...]
    apps: tuple[str, ...]


def select(
    env: Environment, clusters: Sequence[str] = (), regions: Sequence[str] = (), apps: Sequence[str] = ()
) -> Selection:
    """Clusters matching every given cluster/region selector, and the given apps (default: all)."""
    problems = [
        *_unknown("cluster", clusters, env.clusters, "--cluster"),
        *_unknown("region", regions, env.region_names(), "--region"),
        *_unknown("app", apps, env.apps, "--app"),
    ]
    if problems:
        raise SpecError(problems)
    chosen = [
        name
        for name, spec in env.clusters.items()
        if (not clusters or name in clusters) and (not regions or spec.region in regions)
    ]
    if not chosen:
        raise SpecError([Problem("the --cluster and --region selectors match no cluster together")])
    return Selection(tuple(chosen), tuple(a for a in env.apps if not apps or a in apps))


def _unknown(kind: str, names: Sequence[str], valid: object, option: str) -> list[Problem]:
    pool = sorted(valid) if isinstance(valid, dict | set) else []
    return [
        Problem(f"{option}: unknown {kind} {name!r}{did_you_mean(name, pool)}")
        for name in names
        if name not in pool
    ]
