"""Where each run of a gate applies after a wave: its sites, with the placeholder values
(`{environment}` `{wave}` `{cluster}` `{region}`) there.

A gate whose strings use `{cluster}` runs once per cluster of the wave, `{region}` once per
region, otherwise once per wave; a kind that looks at deployed releases (`per_cluster`)
always runs per cluster.
"""

from __future__ import annotations

from enum import StrEnum

from envman.gates.kind import GateSite
from envman.gates.registry import KINDS
from envman.plan.model import WavePlan
from envman.spec.models import Gate


class GateScope(StrEnum):
    WAVE = "wave"
    REGION = "region"
    CLUSTER = "cluster"


def scope_of(gate: Gate) -> GateScope:
    kind = KINDS[gate.kind]
    strings = kind.strings(gate.config)
    if kind.per_cluster or any("{cluster}" in text for text in strings):
        return GateScope.CLUSTER
    return GateScope.REGION if any("{region}" in text for text in strings) else GateScope.WAVE


def sites(gate: Gate, wave: WavePlan, environment: str) -> list[GateSite]:
    """One site per run of `gate` after `wave`, in the wave's cluster order."""
    base = {"environment": environment, "wave": wave.name}
    scope = scope_of(gate)
    if scope is GateScope.CLUSTER:
        return [
            GateSite(c.name, c.region, (c.name,), {**base, "cluster": c.name, "region": c.region})
            for c in wave.clusters
        ]
    if scope is GateScope.REGION:
        regions = list(dict.fromkeys(c.region for c in wave.clusters))
        return [
            GateSite(None, r, tuple(c.name for c in wave.clusters if c.region == r), {**base, "region": r})
            for r in regions
        ]
    return [GateSite(None, None, tuple(c.name for c in wave.clusters), base)]
