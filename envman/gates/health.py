"""`health`: polls until every workload the wave deployed on a cluster is rolled out and available."""

from __future__ import annotations

from collections.abc import Sequence

from envman.gates.kind import GateKind, GateSite, Outcome, poll_until
from envman.gates.ports import Deployed, GateContext
from envman.kit.strict import Duration, Strict


class HealthGate(Strict):
    """Every workload of the wave's changed releases rolled out and available."""

    timeout: Duration = 300.0
    """How long the workloads may take to become healthy."""


class Health(GateKind[HealthGate]):
    name = "health"
    config = HealthGate
    per_cluster = True

    async def check(
        self, config: HealthGate, site: GateSite, deployed: Sequence[Deployed], ctx: GateContext
    ) -> Outcome:
        cluster = site.cluster
        assert cluster is not None, "health runs per cluster"

        async def once(_: float) -> tuple[bool, str]:
            result = await ctx.health(cluster, deployed)
            return result.ok, result.detail

        return await poll_until(ctx, config.timeout, once)
