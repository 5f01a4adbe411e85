"""Rollout waves: which clusters each wave holds, its gates and limits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from envman.kit.errors import Problem
from envman.kit.suggest import did_you_mean
from envman.spec.environment import Environment
from envman.spec.models import Gate, Rollout, Wave

DEFAULT_WAVE = "all"


@dataclass(frozen=True)
class WaveSettings:
    """A wave as it will run."""

    name: str
    clusters: tuple[str, ...]
    gates: tuple[Gate, ...]
    bake_seconds: float | None
    approval: bool
    max_parallel: int
    bake_every_seconds: float | None = None
    """How often the bake re-checks health (None: the run's default)."""


def rollout_of(env: Environment) -> Rollout:
    return env.spec.rollout or Rollout()


def plan_waves(env: Environment) -> tuple[list[WaveSettings], list[Problem]]:
    """The waves of `env` in order, with every assignment problem."""
    rollout = rollout_of(env)
    common = tuple(rollout.gates) if rollout.gates is not None else (Gate.model_validate({"health": {}}),)
    if not rollout.waves:
        everything = WaveSettings(DEFAULT_WAVE, tuple(env.clusters), common, None, False, rollout.maxParallel)
        return [everything], []
    problems: list[Problem] = []
    plans = []
    for index, wave in enumerate(rollout.waves):
        members, found = _members(env, index, wave)
        problems.extend(found)
        bake, every = (wave.bake.duration, wave.bake.every) if wave.bake else (None, None)
        parallel = wave.maxParallel or rollout.maxParallel
        gates = common + tuple(wave.gates)
        plans.append(WaveSettings(wave.name, members, gates, bake, wave.approval, parallel, every))
    problems.extend(_coverage(env, plans))
    problems.extend(_duplicate_names(env, rollout.waves))
    return plans, problems


def _members(env: Environment, index: int, wave: Wave) -> tuple[tuple[str, ...], list[Problem]]:
    path = ("rollout", "waves", index)
    problems: list[Problem] = []
    regions = env.region_names()
    if wave.clusters is not None:
        for i, name in enumerate(wave.clusters):
            if name not in env.clusters:
                problems.append(_unknown("cluster", name, env.clusters, env, (*path, "clusters", i)))
        chosen = [c for c in env.clusters if c in wave.clusters]
    elif wave.regions is not None:
        for i, name in enumerate(wave.regions):
            if name not in regions:
                problems.append(_unknown("region", name, regions, env, (*path, "regions", i)))
        chosen = [c for c, spec in env.clusters.items() if spec.region in wave.regions]
    else:
        assert wave.selector is not None
        chosen, problems = _selected(env, index, wave)
    if not chosen and not problems:
        problems.append(Problem(f"wave {wave.name!r} selects no cluster", env.key_at(*path)))
    return tuple(chosen), problems


def _selected(env: Environment, index: int, wave: Wave) -> tuple[list[str], list[Problem]]:
    assert wave.selector is not None
    wanted = wave.selector.regions
    regions = env.region_names()
    problems = []
    region_path: tuple[str | int, ...] = ("rollout", "waves", index, "selector", "region")
    for i, name in enumerate(wanted):
        if name not in regions:
            at = (*region_path, i) if isinstance(wave.selector.region, list) else region_path
            problems.append(_unknown("region", name, regions, env, at))
    chosen = [
        name
        for name, cluster in env.clusters.items()
        if (not wanted or cluster.region in wanted)
        and all(cluster.labels.get(k) == v for k, v in wave.selector.labels.items())
    ]
    return chosen, problems


def _unknown(
    kind: str, name: str, pool: Iterable[str], env: Environment, path: tuple[str | int, ...]
) -> Problem:
    wave = env.spec.rollout.waves[int(path[2])].name if env.spec.rollout else "?"
    return Problem(f"unknown {kind} {name!r} in wave {wave!r}{did_you_mean(name, pool)}", env.value_at(*path))


def _coverage(env: Environment, plans: list[WaveSettings]) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for index, plan in enumerate(plans):
        for cluster in plan.clusters:
            if cluster in seen:
                yield Problem(
                    f"cluster {cluster!r} is in two waves: {seen[cluster]!r} and {plan.name!r}",
                    env.key_at("rollout", "waves", index),
                )
            else:
                seen[cluster] = plan.name
    for cluster in env.clusters:
        if cluster not in seen:
            yield Problem(f"cluster {cluster!r} is in no wave", env.key_at("clusters", cluster))


def _duplicate_names(env: Environment, waves: list[Wave]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, wave in enumerate(waves):
        if wave.name in seen:
            yield Problem(
                f"wave name {wave.name!r} is used twice", env.value_at("rollout", "waves", index, "name")
            )
        seen.add(wave.name)


def wave_problems(env: Environment) -> list[Problem]:
    """Every wave assignment problem of `env` (none for a base: it has no waves of its own to
    run); what the loader checks beside the references (`load_environments(more_checks=)`)."""
    return [] if env.spec.abstract else plan_waves(env)[1]
