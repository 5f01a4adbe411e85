"""The adapter of ARCHITECTURE.md's example gate kind (`tcp`), as the document writes it, against
real ports through the engine: one that accepts connections, one that refuses them."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from envman.adapters.clock import SystemClock
from envman.rollout.engine import sync
from tests.adapters.probes.servers import free_port
from tests.gates.documented import load
from tests.rollout.fakes import World, cluster, options, plan, wave


async def test_the_documented_adapter_connects_and_reports_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    example = load(monkeypatch)
    assert example.kind.probe is not None
    server = await asyncio.start_server(lambda _, writer: writer.close(), "127.0.0.1", 0)
    open_port, closed_port = server.sockets[0].getsockname()[1], free_port()
    world = World()
    world.helm.seconds = 0
    probes = world.probes().with_probe(example.kind.probe, example.row.make())
    ports = dataclasses.replace(world.ports(), probes=probes, clock=SystemClock())
    gates = [
        example.gate_model.model_validate({"tcp": {"host": "127.0.0.1", "port": port, "timeout": "1s"}})
        for port in (open_port, closed_port)
    ]
    the_plan = plan(wave("canary", cluster("c1", (("api",),)), gates=gates))

    async with server:
        report = await sync(the_plan, ports, options(poll_seconds=0.05))

    passed, failed = report.waves[0].gates
    assert (passed.result, passed.detail) == ("passed", f"127.0.0.1:{open_port} accepts connections")
    assert failed.result == "failed"
    assert failed.detail.startswith(f"127.0.0.1:{closed_port}: [Errno 111] Connect call failed")
    assert "still failing after 1.0s" in failed.detail
