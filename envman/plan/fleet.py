"""An environment resolved for rollout: waves, and dependency layers per cluster."""

from __future__ import annotations

from dataclasses import dataclass

from envman.kit.errors import Problem, SpecError
from envman.plan.graph import cycle_problems, disabled_need_problems, layers
from envman.plan.waves import WaveSettings, plan_waves
from envman.spec.environment import Environment


@dataclass(frozen=True)
class Fleet:
    """What runs where, and in which order."""

    env: Environment
    waves: tuple[WaveSettings, ...]
    layers: dict[str, tuple[tuple[str, ...], ...]]

    def region_of(self, cluster: str) -> str:
        return self.env.clusters[cluster].region


def graph_problems(env: Environment) -> list[Problem]:
    """Dependency and wave problems of `env` (bases: cycles only)."""
    problems = list(cycle_problems(env))
    if env.spec.abstract:
        return problems
    if not problems:
        problems.extend(disabled_need_problems(env))
    problems.extend(plan_waves(env)[1])
    return problems


def resolve(env: Environment) -> Fleet:
    """The fleet of a loaded environment; every graph and wave problem raised at once."""
    problems = graph_problems(env)
    if problems:
        raise SpecError(problems)
    waves, _ = plan_waves(env)
    per_cluster = {c: tuple(tuple(layer) for layer in layers(env, c)) for c in env.clusters}
    return Fleet(env, tuple(waves), per_cluster)
