"""Gate placeholders (`{environment}` `{wave}` `{cluster}` `{region}`) and how often a gate runs.

Expansion replaces only those four names, so PromQL label matchers (`{code=~"5.."}`) and
any other braces stay as written. A gate whose strings use `{cluster}` runs once per
cluster of the wave, `{region}` once per region, otherwise once per wave; `health` and
`helmTest` always run per cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from envman.plan.model import ClusterPlan, WavePlan
from envman.spec.models import CommandGate, Gate, HttpGate, PrometheusGate


class GateScope(StrEnum):
    WAVE = "wave"
    REGION = "region"
    CLUSTER = "cluster"


@dataclass(frozen=True)
class GateSite:
    """Where one run of a gate applies: a cluster, a region or the whole wave."""

    cluster: str | None
    region: str | None
    clusters: tuple[ClusterPlan, ...]
    values: Mapping[str, str]

    def expand(self, text: str) -> str:
        for name, value in self.values.items():
            text = text.replace("{" + name + "}", value)
        return text


def gate_strings(gate: Gate) -> tuple[str, ...]:
    """The strings of `gate` that placeholders may appear in."""
    config = gate.config
    if isinstance(config, HttpGate):
        return (config.url, *((config.bodyContains,) if config.bodyContains else ()))
    if isinstance(config, PrometheusGate):
        return (config.url, config.query)
    if isinstance(config, CommandGate):
        return tuple(config.run)
    return ()


def scope_of(gate: Gate) -> GateScope:
    if gate.kind in ("health", "helmTest") or _uses(gate, "cluster"):
        return GateScope.CLUSTER
    return GateScope.REGION if _uses(gate, "region") else GateScope.WAVE


def _uses(gate: Gate, name: str) -> bool:
    return any("{" + name + "}" in text for text in gate_strings(gate))


def sites(gate: Gate, run: WavePlan, environment: str) -> list[GateSite]:
    """One site per run of `gate` after wave `run`, in the wave's cluster order."""
    base = {"environment": environment, "wave": run.name}
    scope = scope_of(gate)
    if scope is GateScope.CLUSTER:
        return [
            GateSite(c.name, c.region, (c,), {**base, "cluster": c.name, "region": c.region})
            for c in run.clusters
        ]
    if scope is GateScope.REGION:
        regions = list(dict.fromkeys(c.region for c in run.clusters))
        return [
            GateSite(None, r, tuple(c for c in run.clusters if c.region == r), {**base, "region": r})
            for r in regions
        ]
    return [GateSite(None, None, run.clusters, base)]
