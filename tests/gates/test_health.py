"""The `health` kind on the engine's health port: polled until healthy or its timeout."""

from __future__ import annotations

from envman.gates.health import Health
from envman.gates.ports import GateResult
from tests.gates.fakes import FakeGateContext, check


async def test_health_polls_the_deployed_releases_until_its_timeout() -> None:
    ctx = FakeGateContext(unhealthy="deployment api: 0/1 available")

    result = await check(Health(), {"timeout": "60s"}, ctx)

    assert result == (
        GateResult.FAILED,
        "deployment api: 0/1 available (still failing after 1m00s, 13 tries)",
    )
    assert ctx.health_polls[:2] == [("c1", ("db", "api"), 0.0), ("c1", ("db", "api"), 5.0)]
    assert len(ctx.health_polls) == 13 and ctx.time == 60.0


async def test_healthy_at_once_passes_at_once() -> None:
    ctx = FakeGateContext()

    assert await check(Health(), {}, ctx) == (GateResult.PASSED, "2 releases available")
    assert ctx.time == 0.0


def test_health_runs_per_cluster_and_needs_no_probe() -> None:
    assert Health.per_cluster and Health.probe is None
