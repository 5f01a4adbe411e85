"""`prometheus`: one instant query whose value must lie within `min`/`max` (no data and NaN fail)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from pydantic import model_validator

from envman.gates.kind import GateKind, GateSite, Outcome
from envman.gates.ports import Deployed, GateContext, GateResult, ProbeKey
from envman.kit.errors import EnvmanError
from envman.kit.strict import Duration, Strict


class PrometheusQuery(Protocol):
    async def query(self, base_url: str, promql: str, timeout: float) -> float | None:
        """The value of an instant query (None: no data); `ProbeError` on any failure."""
        ...


class PrometheusGate(Strict):
    """A Prometheus query whose value must lie within `min`..`max`."""

    url: str
    """Base URL of the Prometheus server."""
    query: str
    """PromQL query returning one number."""
    min: float | int | None = None
    """The lowest value that passes."""
    max: float | int | None = None
    """The highest value that passes."""
    timeout: Duration = 60.0
    """How long to keep querying until the value passes."""

    @model_validator(mode="after")
    def _a_threshold(self) -> PrometheusGate:
        if self.min is None and self.max is None:
            raise ValueError("a prometheus gate needs 'min', 'max' or both")
        return self


class Prometheus(GateKind[PrometheusGate]):
    name = "prometheus"
    config = PrometheusGate
    probe = ProbeKey[PrometheusQuery]("prometheus")

    def strings(self, config: PrometheusGate) -> tuple[str, ...]:
        return (config.url, config.query)

    async def check(
        self, config: PrometheusGate, site: GateSite, deployed: Sequence[Deployed], ctx: GateContext
    ) -> Outcome:
        url, query = site.expand(config.url), site.expand(config.query)
        try:
            value = await ctx.probe(self.probe).query(url, query, config.timeout)
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
