"""The app dependency graph (networkx): cycles, disabled needs, layers per cluster."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from envman.kit.errors import Problem
from envman.plan.values import is_enabled
from envman.spec.environment import Environment


def dependency_graph(env: Environment) -> nx.DiGraph:
    """Edges go from a needed app to the app that needs it."""
    graph = nx.DiGraph()
    graph.add_nodes_from(env.apps)
    for name, app in env.apps.items():
        graph.add_edges_from((need, name) for need in app.needs if need in env.apps and need != name)
    return graph


def cycle_problems(env: Environment) -> Iterator[Problem]:
    """One problem per dependency cycle, shown in `needs` order: `api -> worker -> api`."""
    for cycle in sorted(_needs_order(c) for c in nx.simple_cycles(dependency_graph(env))):
        first, second = cycle[0], cycle[1 % len(cycle)]
        text = " -> ".join([*cycle, first])
        index = env.apps[first].needs.index(second)
        yield Problem(f"dependency cycle: {text}", env.value_at("apps", first, "needs", index))


def _needs_order(cycle: list[str]) -> list[str]:
    """A cycle of graph edges (needed -> needer) as needer -> needed, from its smallest name."""
    needs = list(reversed(cycle))
    start = needs.index(min(needs))
    return needs[start:] + needs[:start]


def disabled_need_problems(env: Environment) -> Iterator[Problem]:
    """A needed app disabled on a cluster where the app that needs it is enabled."""
    for cluster in env.clusters:
        for name, app in env.apps.items():
            if not is_enabled(env, name, cluster):
                continue
            for index, need in enumerate(app.needs):
                if need in env.apps and not is_enabled(env, need, cluster):
                    yield Problem(
                        f"apps.{name} needs {need!r}, which is disabled on cluster {cluster!r}",
                        env.value_at("apps", name, "needs", index),
                    )


def layers(env: Environment, cluster: str | None = None) -> list[list[str]]:
    """Apps in dependency layers (each layer needs only earlier ones): those enabled on
    `cluster`, or all of them."""
    graph = dependency_graph(env)
    enabled = [a for a in env.apps if cluster is None or is_enabled(env, a, cluster)]
    sub = graph.subgraph(enabled)
    order = {name: i for i, name in enumerate(env.apps)}
    return [sorted(layer, key=order.__getitem__) for layer in nx.topological_generations(sub)]
