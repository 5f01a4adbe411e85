"""The app dependency graph: cycles, disabled needs, layers per cluster.

The graph is acyclic in all but broken specs, so the common path uses the standard library's
`graphlib` (layers, and the check that there is no cycle); networkx is imported only to name
every cycle of a spec that has one (it lists all elementary cycles, `graphlib` one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from graphlib import CycleError, TopologicalSorter

from envman.kit.errors import Problem
from envman.plan.values import is_enabled
from envman.spec.environment import Environment


def dependency_edges(env: Environment) -> set[tuple[str, str]]:
    """(needed app, app that needs it) for every `needs` between apps of `env`."""
    return {
        (need, name)
        for name, app in env.apps.items()
        for need in app.needs
        if need in env.apps and need != name
    }


def _sorter(apps: Iterable[str], edges: Iterable[tuple[str, str]]) -> TopologicalSorter[str]:
    chosen = set(apps)
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for app in chosen:
        sorter.add(app)
    for need, app in edges:
        if need in chosen and app in chosen:
            sorter.add(app, need)
    return sorter


def cycle_problems(env: Environment) -> Iterator[Problem]:
    """One problem per dependency cycle, shown in `needs` order: `api -> worker -> api`."""
    edges = dependency_edges(env)
    try:
        _sorter(env.apps, edges).prepare()
    except CycleError:
        yield from _every_cycle(env, edges)


def _every_cycle(env: Environment, edges: set[tuple[str, str]]) -> Iterator[Problem]:
    import networkx as nx

    graph = nx.DiGraph(list(edges))
    for cycle in sorted(_needs_order(c) for c in nx.simple_cycles(graph)):
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
    `cluster`, or all of them. The spec has no cycle (checked first)."""
    enabled = [a for a in env.apps if cluster is None or is_enabled(env, a, cluster)]
    sorter = _sorter(enabled, dependency_edges(env))
    sorter.prepare()
    order = {name: i for i, name in enumerate(env.apps)}
    found = []
    while sorter.is_active():
        layer = sorted(sorter.get_ready(), key=order.__getitem__)
        sorter.done(*layer)
        found.append(layer)
    return found
