"""`--cluster`, `--region`, `--app` and `-l/--selector key=value` selectors, checked against
the environment."""

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
    env: Environment,
    clusters: Sequence[str] = (),
    regions: Sequence[str] = (),
    apps: Sequence[str] = (),
    labels: Sequence[str] = (),
) -> Selection:
    """Clusters matching every given cluster, region and `key=value` label selector, and the
    given apps (default: all)."""
    wanted, label_problems = _labels(env, labels)
    problems = [
        *_unknown("cluster", clusters, env.clusters, "--cluster"),
        *_unknown("region", regions, env.region_names(), "--region"),
        *_unknown("app", apps, env.apps, "--app"),
        *label_problems,
    ]
    if problems:
        raise SpecError(problems)
    chosen = [
        name
        for name, spec in env.clusters.items()
        if (not clusters or name in clusters)
        and (not regions or spec.region in regions)
        and all(spec.labels.get(key) == value for key, value in wanted)
    ]
    if not chosen:
        raise SpecError([Problem("the --cluster, --region and --selector options match no cluster together")])
    return Selection(tuple(chosen), tuple(a for a in env.apps if not apps or a in apps))


def _labels(env: Environment, labels: Sequence[str]) -> tuple[list[tuple[str, str]], list[Problem]]:
    keys = {key for spec in env.clusters.values() for key in spec.labels}
    wanted, problems = [], []
    for label in labels:
        key, sep, value = label.partition("=")
        if not sep or not key:
            problems.append(Problem(f"--selector: {label!r} is not key=value"))
        elif key not in keys:
            problems.append(Problem(f"--selector: no cluster has the label {key!r}{did_you_mean(key, keys)}"))
        else:
            wanted.append((key, value))
    return wanted, problems


def _unknown(kind: str, names: Sequence[str], valid: object, option: str) -> list[Problem]:
    pool = sorted(valid) if isinstance(valid, dict | set) else []
    return [
        Problem(f"{option}: unknown {kind} {name!r}{did_you_mean(name, pool)}")
        for name in names
        if name not in pool
    ]
