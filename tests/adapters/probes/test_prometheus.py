"""The Prometheus query and the `prometheus` gate against a real Prometheus the test starts,
scraping a local /metrics endpoint whose value the test sets."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.adapters.clock import SystemClock
from envman.adapters.probes.prometheus import PrometheusApi, parse_query_response
from envman.gates.ports import ProbeError
from envman.gates.prometheus import Prometheus as PrometheusKind
from envman.rollout.engine import sync
from envman.rollout.report import GateReport
from tests.adapters.probes.servers import Site, free_port
from tests.rollout.fakes import World, cluster, gate, options, plan, wave

PROMETHEUS = Path("/usr/bin/prometheus")
METRIC = "envman_test_error_rate"
CONFIG = """global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: gate
    metrics_path: /metrics
    static_configs: [{{targets: ["{target}"]}}]
"""


@dataclasses.dataclass
class Prometheus:
    url: str
    exporter: Site

    def set_value(self, value: float) -> None:
        self.exporter.default = (200, f"# TYPE {METRIC} gauge\n{METRIC} {value}\n")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    if not PROMETHEUS.exists():
        pytest.skip(f"{PROMETHEUS} is absent: install the Debian package `prometheus` to run this test")
    work = tmp_path_factory.mktemp("prometheus")
    with Site() as exporter:
        exporter.content_type = "text/plain; version=0.0.4"
        target = exporter.url().removeprefix("http://").rstrip("/")
        (work / "prometheus.yml").write_text(CONFIG.format(target=target))
        port = free_port()
        process = subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            server = Prometheus(f"http://127.0.0.1:{port}", exporter)
            server.set_value(0.1)
            _wait_ready(server.url, process)
            yield server
        finally:
            process.terminate()
            process.wait(10)


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("prometheus did not become ready within 15s")


async def _wait_for(server: Prometheus, value: float | None = None) -> None:
    """Until the scraped sample shows `value` (any value: None), bounded."""
    api = PrometheusApi()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = await api.query(server.url, METRIC, 5)
        if found is not None and value in (None, found):
            return
        await asyncio.sleep(0.2)
    pytest.fail(f"{METRIC} did not reach {value} within 10s")


async def _gate(server: Prometheus, query: str, **bounds: float) -> GateReport:
    """The gate after a one-release wave, its URL's port given as the cluster's `{region}`."""
    world = World()
    world.helm.seconds = 0
    ports = dataclasses.replace(
        world.ports(),
        probes=world.probes().with_probe(PrometheusKind.probe, PrometheusApi()),
        clock=SystemClock(),
    )
    spec = {"url": "http://127.0.0.1:{region}", "query": query, **bounds}
    port = server.url.rsplit(":", 1)[1]
    the_plan = plan(wave("canary", cluster("c1", (("api",),), region=port), gates=[gate(prometheus=spec)]))
    report = await sync(the_plan, ports, options())
    (record,) = report.waves[0].gates
    assert record.region == port
    return record


async def test_gate_passes_then_fails_as_the_metric_changes(prometheus: Prometheus) -> None:
    prometheus.set_value(0.1)
    await _wait_for(prometheus, 0.1)

    passing = await _gate(prometheus, f"sum({METRIC})", max=0.5)

    assert (passing.result, passing.detail) == ("passed", "value 0.1 (max 0.5)")
    prometheus.set_value(2.5)
    await _wait_for(prometheus, 2.5)

    failing = await _gate(prometheus, f"sum({METRIC})", max=0.5)

    assert failing.result == "failed"
    assert failing.detail == f"value 2.5 is above max 0.5 ('sum({METRIC})')"


async def test_no_data_fails_the_gate(prometheus: Prometheus) -> None:
    record = await _gate(prometheus, "envman_test_absent_metric", min=1)

    assert record.result == "failed"
    assert record.detail == f"no data for 'envman_test_absent_metric' at {prometheus.url}"


async def test_errors_carry_prometheus_message(prometheus: Prometheus) -> None:
    api = PrometheusApi()
    with pytest.raises(ProbeError, match=r"bad_data: .*parse error"):
        await api.query(prometheus.url, "sum(", 5)
    await _wait_for(prometheus)
    with pytest.raises(ProbeError, match="returned 2 series; aggregate them"):
        await api.query(prometheus.url, f'{{__name__=~"{METRIC}|up"}}', 5)
    assert await api.query(prometheus.url, "scalar(vector(4))", 5) == 4.0


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ('{"status":"success","data":{"resultType":"scalar","result":[1,"0.25"]}}', 0.25),
        ('{"status":"success","data":{"resultType":"vector","result":[]}}', None),
        (
            '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}',
            float("inf"),
        ),
    ],
)
def test_parse_values(body: str, value: float | None) -> None:
    assert parse_query_response(200, body) == value


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            400,
            '{"status":"error","errorType":"bad_data","error":"parse error"}',
            "answered 400: bad_data: parse error",
        ),
        (502, "<html>bad gateway</html>", "answered 502 with a body that is not JSON"),
        (200, '{"status":"success","data":{"resultType":"matrix","result":[]}}', "returned a matrix"),
        (200, '{"status":"success","data":{"resultType":"scalar","result":null}}', "unexpected sample"),
    ],
)
def test_parse_errors(status: int, body: str, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        parse_query_response(status, body)
