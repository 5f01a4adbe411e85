"""The `helmTest` kind on the engine's helm: `helm test` of every release deployed."""

from __future__ import annotations

from envman.gates.helm_test import HelmTest
from envman.gates.ports import GateResult
from envman.kit.errors import HelmError
from tests.gates.fakes import FakeGateContext, check


async def test_helm_test_failure() -> None:
    """Moved from tests/rollout/test_engine_gates.py."""
    ctx = FakeGateContext(test_failing={"api": "TEST SUITE: api-test\nPhase: Failed"})

    result = await check(HelmTest(), {}, ctx)

    assert result == (GateResult.FAILED, "api: failed\nTEST SUITE: api-test\nPhase: Failed")


async def test_every_deployed_release_is_tested_on_the_sites_cluster() -> None:
    ctx = FakeGateContext()

    assert await check(HelmTest(), {"timeout": "5m"}, ctx) == (GateResult.PASSED, "passed: db, api")
    assert ctx.tested == [("c1", "db"), ("c1", "api")]


async def test_a_helm_error_fails_that_release() -> None:
    ctx = FakeGateContext(test_failing={"db": HelmError("helm test db: context deadline exceeded")})

    result = await check(HelmTest(), {}, ctx)

    assert result == (GateResult.FAILED, "db: helm test db: context deadline exceeded")


def test_helm_test_runs_per_cluster_and_needs_no_probe() -> None:
    assert HelmTest.per_cluster and HelmTest.probe is None
