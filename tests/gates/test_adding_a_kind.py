"""ARCHITECTURE.md's "Adding a gate kind" is true to the code: its kind, with a probe of its
own, registered as it says, is in the spec's model and runs through the engine (on fakes)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from envman.gates.ports import GateResult, ProbeError
from envman.rollout.engine import sync
from envman.rollout.events import Phase, Scope
from envman.rollout.placeholders import GateScope, scope_of
from envman.rollout.ports import Probes
from envman.spec.models import Gate
from tests.gates.documented import Example, load
from tests.rollout.fakes import World, cluster, options, plan, wave

REGISTRY = Path(__file__).resolve().parents[2] / "envman" / "gates" / "registry.py"


class FakeTcp:
    """Accepts connections except on the hosts in `refusing`; records each try."""

    def __init__(self, refusing: set[str]) -> None:
        self.refusing = refusing
        self.tries: list[tuple[str, int]] = []

    async def connect(self, host: str, port: int, timeout: float) -> None:
        self.tries.append((host, port))
        if host in self.refusing:
            raise ProbeError("connection refused")


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Example:
    return load(monkeypatch)


def test_the_registry_is_as_the_section_says_but_for_the_example(example: Example) -> None:
    name = type(example.kind).__name__
    assert example.registry_line.replace(f", {name}()", "") in REGISTRY.read_text()


def test_the_kind_is_in_the_spec_model_and_its_schema(example: Example) -> None:
    schema = example.gate_model.model_json_schema()

    assert list(schema["properties"])[-1] == "tcp"
    assert schema["$defs"]["TcpGate"]["required"] == ["host", "port"]
    gate = example.gate_model.model_validate({"tcp": {"host": "db.{cluster}.internal", "port": 5432}})
    assert gate.kind == "tcp" and scope_of(gate) is GateScope.CLUSTER
    with pytest.raises(ValueError, match="port"):
        example.gate_model.model_validate({"tcp": {"host": "db", "port": 0}})


def test_the_probe_tables_row_makes_the_documented_adapter(example: Example) -> None:
    assert example.kind.probe is not None
    probe = Probes([example.row]).get(example.kind.probe)

    assert type(probe).__name__ == "AsyncioTcpProbe"
    assert example.row.key is example.kind.probe


async def test_the_kind_runs_through_the_engine_with_its_probe(example: Example) -> None:
    world = World()
    tcp = FakeTcp(refusing={"db.c2.internal"})
    assert example.kind.probe is not None
    ports = replace(world.ports(), probes=world.probes().with_probe(example.kind.probe, tcp))
    gate: Gate = example.gate_model.model_validate({"tcp": {"host": "db.{cluster}.internal", "port": 5432}})
    the_plan = plan(wave("us", cluster("c1"), cluster("c2"), gates=[gate], max_parallel=2))

    report = await world.clock.run(sync(the_plan, ports, options()))

    records = [(g.gate, g.cluster, g.result, g.detail) for g in report.waves[0].gates]
    assert records == [
        ("tcp", "c1", GateResult.PASSED, "db.c1.internal:5432 accepts connections"),
        (
            "tcp",
            "c2",
            GateResult.FAILED,
            "db.c2.internal:5432: connection refused (still failing after 30.0s, 7 tries)",
        ),
    ]
    assert tcp.tries[:2] == [("db.c1.internal", 5432), ("db.c2.internal", 5432)]
    assert report.waves[0].result == "rolled-back"
    assert report.error == (
        "wave us: gate tcp failed on c2: db.c2.internal:5432: connection refused "
        "(still failing after 30.0s, 7 tries)"
    )
    finished = [e for e in world.progress.events if e.scope is Scope.GATE and e.phase is Phase.FINISH]
    assert [(e.name, e.cluster, e.result) for e in finished] == [
        ("tcp", "c1", "passed"),
        ("tcp", "c2", "failed"),
    ]
