"""The HTTP probe and the `http` gate against a local server the test controls."""

from __future__ import annotations

import dataclasses
import time

import pytest

from envman.adapters.clock import SystemClock
from envman.adapters.probes.http import UrllibHttpProbe
from envman.gates.http import Http
from envman.gates.ports import ProbeError
from envman.rollout.engine import sync
from envman.rollout.report import Report
from tests.adapters.probes.servers import Site, free_port
from tests.rollout.fakes import World, cluster, gate, options, plan, wave


async def test_status_and_body_of_any_answer() -> None:
    with Site() as site:
        site.answers = [(200, "all good"), (503, "overloaded")]
        probe = UrllibHttpProbe()

        assert await probe.get(site.url("/healthz"), 5) == (200, "all good")
        assert await probe.get(site.url("/healthz"), 5) == (503, "overloaded")
        assert site.paths == ["/healthz", "/healthz"]


async def test_no_answer_is_a_probe_error() -> None:
    with pytest.raises(ProbeError, match="refused"):
        await UrllibHttpProbe().get(f"http://127.0.0.1:{free_port()}/", 5)
    with pytest.raises(ProbeError, match="only http:// and https://"):
        await UrllibHttpProbe().get("file:///etc/passwd", 5)


async def test_a_slow_server_times_out() -> None:
    with Site() as site:
        site.delay = 2.0
        start = time.monotonic()
        with pytest.raises(ProbeError):
            await UrllibHttpProbe().get(site.url(), 0.3)
        assert time.monotonic() - start < 1.5


async def run_http_gate(site: Site, spec: dict[str, object]) -> Report:
    """A one-release wave with an `http` gate, the real probe and clock, polling every 50ms."""
    world = World()
    world.helm.seconds = 0
    ports = dataclasses.replace(
        world.ports(), probes=world.probes().with_probe(Http.probe, UrllibHttpProbe()), clock=SystemClock()
    )
    the_plan = plan(wave("canary", cluster("c1", (("api",),)), gates=[gate(http=spec)]))
    return await sync(the_plan, ports, options(poll_seconds=0.05))


async def test_gate_retries_until_the_server_turns_healthy() -> None:
    with Site() as site:
        site.answers = [(503, "starting")] * 3 + [(200, "starting")]
        site.default = (200, "ready")

        report = await run_http_gate(
            site, {"url": site.url("/healthz"), "bodyContains": "ready", "timeout": "10s"}
        )

    (record,) = report.waves[0].gates
    assert (record.result, record.detail) == ("passed", f"GET {site.url('/healthz')}: status 200")
    assert len(site.paths) == 5  # three 503s, a 200 without "ready", then ready


async def test_gate_fails_at_its_timeout_with_the_last_answer() -> None:
    with Site() as site:
        site.default = (500, "boom")
        start = time.monotonic()

        report = await run_http_gate(site, {"url": site.url(), "expectStatus": 204, "timeout": "1s"})

    assert 1.0 <= time.monotonic() - start < 5
    (record,) = report.waves[0].gates
    assert record.result == "failed"
    assert record.detail.startswith(f"GET {site.url()}: status 500, expected 204 (still failing after 1.0s")
    assert report.result == "failed" and report.waves[0].result == "rolled-back"
