"""`helmTest`: `helm test` of each release the wave deployed on a cluster."""

from __future__ import annotations

from collections.abc import Sequence

from envman.gates.kind import GateKind, GateSite, Outcome, with_tail
from envman.gates.ports import Deployed, GateContext, GateResult
from envman.kit.errors import EnvmanError
from envman.kit.limits import each_limited
from envman.kit.strict import Duration, Strict


class HelmTestGate(Strict):
    """`helm test` of every release the wave changed."""

    timeout: Duration = 300.0
    """helm test timeout per release."""


class HelmTest(GateKind[HelmTestGate]):
    name = "helmTest"
    config = HelmTestGate
    per_cluster = True

    async def check(
        self, config: HelmTestGate, site: GateSite, deployed: Sequence[Deployed], ctx: GateContext
    ) -> Outcome:
        assert site.cluster is not None, "helmTest runs per cluster"
        helm = ctx.helm(site.cluster)

        async def one(release: Deployed) -> tuple[bool, str]:
            try:
                result = await helm.test(release.release, release.namespace, timeout=config.timeout)
            except EnvmanError as exc:
                return False, f"{release.app}: {exc}"
            if result.passed:
                return True, f"{release.app}: passed"
            return False, with_tail(f"{release.app}: failed", result.output)

        outcomes = await each_limited(deployed, ctx.concurrency, one)
        failures = [text for passed, text in outcomes if not passed]
        if failures:
            return GateResult.FAILED, "\n".join(failures)
        return GateResult.PASSED, "passed: " + ", ".join(r.app for r in deployed)
