"""One run of one gate at one site (a cluster, a region or the wave): passed or failed, and why.

`health` polls `Health.check` until it passes or its timeout ends; `http` retries until the
status (and `bodyContains`) match or its timeout ends; `prometheus` runs one instant query
whose value must lie within `min`/`max` (no data and NaN fail); `command` runs its argv in
the repository root and must exit 0; `helmTest` runs `helm test` for each release the wave
deployed on the cluster.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence

from envman.kit.errors import EnvmanError
from envman.plan.model import ReleasePlan
from envman.rollout.context import Run
from envman.rollout.limits import each_limited
from envman.rollout.placeholders import GateSite
from envman.rollout.ports import HealthResult
from envman.rollout.results import GateResult
from envman.rollout.timefmt import elapsed
from envman.spec.models import CommandGate, Gate, HealthGate, HelmTestGate, HttpGate, PrometheusGate

TAIL_LINES = 20

Attempt = Callable[[float], Awaitable[tuple[bool, str]]]
"""One try of a polled gate, given the time left: (passed, detail)."""


async def check_site(
    run: Run, gate: Gate, site: GateSite, deployed: Sequence[ReleasePlan]
) -> tuple[GateResult, str]:
    """Run `gate` once at `site`; `deployed` are the releases the wave deployed there."""
    config = gate.config
    if isinstance(config, HealthGate):
        cluster = site.cluster
        assert cluster is not None, "health runs per cluster"
        return await _poll_until(run, config.timeout, lambda _: _healthy(run, cluster, deployed))
    if isinstance(config, HttpGate):
        return await _poll_until(run, config.timeout, lambda left: _http_once(run, config, site, left))
    if isinstance(config, PrometheusGate):
        return await _prometheus(run, config, site)
    if isinstance(config, CommandGate):
        return await _command(run, config, site)
    assert isinstance(config, HelmTestGate) and site.cluster is not None
    return await _helm_test(run, config, site.cluster, deployed)


async def poll_health(run: Run, cluster: str, releases: Sequence[ReleasePlan]) -> HealthResult:
    """One health poll; a driver failure is an unhealthy answer."""
    try:
        return await run.ports.health.check(cluster, releases)
    except EnvmanError as exc:
        return HealthResult(False, f"health check failed: {exc}")


async def _healthy(run: Run, cluster: str, releases: Sequence[ReleasePlan]) -> tuple[bool, str]:
    result = await poll_health(run, cluster, releases)
    return result.ok, result.detail


async def _poll_until(run: Run, timeout: float, attempt: Attempt) -> tuple[GateResult, str]:
    deadline = run.clock.now() + timeout
    tries = 0
    while True:
        passed, detail = await attempt(max(deadline - run.clock.now(), 1.0))
        tries += 1
        if passed:
            return GateResult.PASSED, detail
        remaining = deadline - run.clock.now()
        if remaining <= 0:
            return GateResult.FAILED, f"{detail} (still failing after {elapsed(timeout)}, {tries} tries)"
        if not await run.pause(min(run.options.poll_seconds, remaining)):
            return GateResult.INTERRUPTED, f"{detail} (interrupted)"


async def _http_once(run: Run, config: HttpGate, site: GateSite, timeout: float) -> tuple[bool, str]:
    url = site.expand(config.url)
    try:
        status, body = await run.ports.http.get(url, timeout)
    except EnvmanError as exc:
        return False, f"GET {url}: {exc}"
    if status != config.expectStatus:
        return False, f"GET {url}: status {status}, expected {config.expectStatus}"
    wanted = site.expand(config.bodyContains) if config.bodyContains else None
    if wanted is not None and wanted not in body:
        return False, f"GET {url}: status {status} but the body does not contain {wanted!r}"
    return True, f"GET {url}: status {status}"


async def _prometheus(run: Run, config: PrometheusGate, site: GateSite) -> tuple[GateResult, str]:
    url, query = site.expand(config.url), site.expand(config.query)
    try:
        value = await run.ports.prometheus.query(url, query, config.timeout)
    except EnvmanError as exc:
        return GateResult.FAILED, f"query {query!r} at {url} failed: {exc}"
    if value is None:
        return GateResult.FAILED, f"no data for {query!r} at {url}"
    if math.isnan(value):
        return GateResult.FAILED, f"{query!r} at {url} is NaN"
    if config.min is not None and value < config.min:
        return GateResult.FAILED, f"value {value:g} is below min {config.min:g} ({query!r})"
    if config.max is not None and value > config.max:
        return GateResult.FAILED, f"value {value:g} is above max {config.max:g} ({query!r})"
    return GateResult.PASSED, f"value {value:g} ({_bounds(config)})"


def _bounds(config: PrometheusGate) -> str:
    parts = [
        f"min {config.min:g}" if config.min is not None else "",
        f"max {config.max:g}" if config.max is not None else "",
    ]
    return ", ".join(p for p in parts if p)


async def _command(run: Run, config: CommandGate, site: GateSite) -> tuple[GateResult, str]:
    argv = [site.expand(arg) for arg in config.run]
    try:
        outcome = await run.unless_stopped(
            run.ports.commands.run(argv, config.timeout, str(run.options.root))
        )
    except EnvmanError as exc:
        return GateResult.FAILED, f"cannot run {argv[0]}: {exc}"
    if outcome is None:
        return GateResult.INTERRUPTED, f"{argv[0]} was stopped (interrupted)"
    code, output = outcome
    if code is None:
        return GateResult.FAILED, _with_tail(
            f"{argv[0]} timed out after {elapsed(config.timeout)} and was killed", output
        )
    result = GateResult.PASSED if code == 0 else GateResult.FAILED
    return result, _with_tail(f"{argv[0]} exited {code}", output)


async def _helm_test(
    run: Run, config: HelmTestGate, cluster: str, releases: Sequence[ReleasePlan]
) -> tuple[GateResult, str]:
    helm = run.ports.helm_for(cluster)

    async def one(release: ReleasePlan) -> tuple[bool, str]:
        try:
            result = await helm.test(release.release, release.namespace, timeout=config.timeout)
        except EnvmanError as exc:
            return False, f"{release.app}: {exc}"
        if result.passed:
            return True, f"{release.app}: passed"
        return False, _with_tail(f"{release.app}: failed", result.output)

    outcomes = await each_limited(releases, run.options.concurrency, one)
    failures = [text for passed, text in outcomes if not passed]
    if failures:
        return GateResult.FAILED, "\n".join(failures)
    return GateResult.PASSED, "passed: " + ", ".join(r.app for r in releases)


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last `lines` non-empty-trailing lines of `text`."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _with_tail(head: str, output: str) -> str:
    last = tail(output)
    return f"{head}\n{last}" if last else head
