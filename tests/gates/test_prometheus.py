"""The `prometheus` kind on a fake of its probe: one query, its value against min and max."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from envman.gates.ports import GateResult, ProbeError
from envman.gates.prometheus import Prometheus, PrometheusGate
from envman.rollout.ports import Probes
from tests.gates.fakes import FakeGateContext, FakePrometheus, check, site

PROMQL = {"url": "http://prom:9090", "query": "up", "min": 1}


def prometheus_context(prometheus: FakePrometheus) -> FakeGateContext:
    return FakeGateContext(Probes().with_probe(Prometheus.probe, prometheus))


async def test_prometheus_thresholds_no_data_and_nan() -> None:
    """Moved from tests/rollout/test_engine_gates.py."""
    for value, detail in [
        (0.0, "value 0 is below min 1 ('up')"),
        (None, "no data for 'up' at http://prom:9090"),
        (math.nan, "'up' at http://prom:9090 is NaN"),
    ]:
        prometheus = FakePrometheus()
        prometheus.value = value
        assert await check(Prometheus(), PROMQL, prometheus_context(prometheus)) == (
            GateResult.FAILED,
            detail,
        )


async def test_a_value_within_bounds_passes_and_above_max_fails() -> None:
    prometheus = FakePrometheus()
    prometheus.value = 0.25
    spec = {"url": "http://prom.{region}:9090", "query": 'x{code=~"5..",env="{environment}"}', "min": 0}

    passed = await check(Prometheus(), {**spec, "max": 0.5}, prometheus_context(prometheus))
    failed = await check(Prometheus(), {**spec, "max": 0.2}, prometheus_context(prometheus))

    assert passed == (GateResult.PASSED, "value 0.25 (min 0, max 0.5)")
    assert failed == (GateResult.FAILED, 'value 0.25 is above max 0.2 (\'x{code=~"5..",env="prod"}\')')
    assert prometheus.queries[0] == ("http://prom.us-east-1:9090", 'x{code=~"5..",env="prod"}')


async def test_a_failed_query_fails_the_gate() -> None:
    prometheus = FakePrometheus()
    prometheus.error = ProbeError("connection refused")

    result = await check(Prometheus(), PROMQL, prometheus_context(prometheus), site(cluster=None))

    assert result == (GateResult.FAILED, "query 'up' at http://prom:9090 failed: connection refused")


def test_placeholders_may_be_in_the_url_and_the_query() -> None:
    config = PrometheusGate(url="http://p.{region}", query="up{env='{environment}'}", max=1)
    assert Prometheus().strings(config) == ("http://p.{region}", "up{env='{environment}'}")


def test_a_gate_needs_a_threshold() -> None:
    with pytest.raises(ValidationError, match="a prometheus gate needs 'min', 'max' or both"):
        PrometheusGate(url="http://p", query="up")
