"""Gates after a changed wave: order, placeholders and sites, a failing gate, bake (each kind's
own check: tests/gates)."""

from __future__ import annotations

from dataclasses import replace

from envman.plan.model import Plan
from envman.spec.models import Gate
from tests.rollout.fakes import SECRET, World, cluster, gate, plan, run_sync, wave

EAST, WEST = "us-east-1", "eu-west-1"


def fleet_wave(gates: list[Gate]) -> Plan:
    clusters = (cluster("c1", region=EAST), cluster("c2", region=EAST), cluster("c3", region=WEST))
    return plan(wave("us", *clusters, max_parallel=3, gates=gates))


async def test_every_gate_kind_in_spec_order_at_its_sites() -> None:
    world = World()
    gates = [
        gate(health={"timeout": "5m"}),
        gate(http={"url": "https://api.{cluster}.example.com/healthz?env={environment}"}),
        gate(
            prometheus={
                "url": "http://prom.{region}:9090",
                "query": 'sum(rate(x{code=~"5.."}[5m]))',
                "max": 0.5,
            }
        ),
        gate(command={"run": ["./scripts/smoke.sh", "{wave}", "{environment}"], "timeout": "2m"}),
        gate(helmTest={"timeout": "5m"}),
    ]

    report = await run_sync(world, fleet_wave(gates))

    assert report.result == "succeeded"
    sites = [(g.gate, g.cluster, g.region, g.result) for g in report.waves[0].gates]
    assert sites == [
        ("health", "c1", None, "passed"),
        ("health", "c2", None, "passed"),
        ("health", "c3", None, "passed"),
        ("http", "c1", None, "passed"),
        ("http", "c2", None, "passed"),
        ("http", "c3", None, "passed"),
        ("prometheus", None, EAST, "passed"),
        ("prometheus", None, WEST, "passed"),
        ("command", None, None, "passed"),
        ("helmTest", "c1", None, "passed"),
        ("helmTest", "c2", None, "passed"),
        ("helmTest", "c3", None, "passed"),
    ]
    assert world.http.urls == [f"https://api.{c}.example.com/healthz?env=prod" for c in ("c1", "c2", "c3")]
    assert world.prometheus.queries == [
        (f"http://prom.{r}:9090", 'sum(rate(x{code=~"5.."}[5m]))') for r in (EAST, WEST)
    ]
    assert world.commands.runs == [(("./scripts/smoke.sh", "us", "prod"), "/repo")]
    assert {c.cluster for c in world.helm.calls if c.verb == "test"} == {"c1", "c2", "c3"}
    assert [c.release for c in world.helm.calls if c.verb == "test" and c.cluster == "c1"] == [
        "db",
        "api",
        "web",
    ]
    assert world.health.checks[0] == ("c1", ("db", "api", "web"), 20.0)
    prometheus = next(g for g in report.waves[0].gates if g.gate == "prometheus")
    assert prometheus.detail == "value 0.1 (max 0.5)"


async def test_health_polls_until_its_timeout() -> None:
    world = World()
    world.health.unhealthy["c1"] = 0.0

    report = await run_sync(world, plan(wave("us", cluster("c1"), gates=[gate(health={"timeout": "60s"})])))

    (record,) = report.waves[0].gates
    assert record.result == "failed"
    assert record.seconds == 60.0
    assert len(world.health.checks) == 13  # at 0, 5, ... 60 seconds of the gate
    assert "still failing after 1m00s, 13 tries" in record.detail
    assert SECRET not in record.detail and "<redacted>" in record.detail
    assert report.waves[0].result == "rolled-back"


async def test_a_failing_gate_stops_the_gates_after_it() -> None:
    world = World()
    world.health.unhealthy["c1"] = 0.0
    gates = [gate(health={"timeout": "10s"}), gate(command={"run": ["true"]}), gate(helmTest={})]

    report = await run_sync(world, plan(wave("us", cluster("c1"), gates=gates, bake=600)))

    assert [g.gate for g in report.waves[0].gates] == ["health"]
    assert world.commands.runs == [] and world.helm.keys("test") == []


async def test_bake_rechecks_health_through_its_duration() -> None:
    world = World()

    report = await run_sync(world, plan(wave("canary", cluster("c1"), bake=600)), bake_check_seconds=30)

    (record,) = report.waves[0].gates
    assert (record.gate, record.result, record.seconds) == ("bake", "passed", 600.0)
    assert record.detail == "healthy through 10m00s (20 checks)"
    assert [t for _, _, t in world.health.checks] == [20.0 + 30 * i for i in range(1, 21)]


async def test_a_bakes_own_interval_wins_over_the_runs_default() -> None:
    """`bake: {duration: 1m, every: 10s}`: 6 checks, 10 s apart."""
    world = World()
    the_wave = wave("canary", cluster("c1"), bake=60)
    the_wave = replace(the_wave, settings=replace(the_wave.settings, bake_every_seconds=10.0))

    report = await run_sync(world, plan(the_wave), bake_check_seconds=30)

    assert report.waves[0].gates[0].detail == "healthy through 1m00s (6 checks)"
    assert [t for _, _, t in world.health.checks] == [20.0 + 10 * i for i in range(1, 7)]


async def test_bake_failure_ends_the_bake_at_once_and_fails_the_wave() -> None:
    world = World()
    world.health.unhealthy["c1"] = 20.0 + 95
    the_plan = plan(wave("canary", cluster("c1"), bake=600), wave("us", cluster("c2")))

    report = await run_sync(world, the_plan, bake_check_seconds=30)

    (record,) = report.waves[0].gates
    assert record.result == "failed" and record.seconds == 120.0
    assert record.detail.startswith("c1: deployment api: 0/1 available")
    assert record.detail.endswith("(after 2m00s of 10m00s)")
    assert [w.result for w in report.waves] == ["rolled-back", "not-started"]
    assert report.error is not None and report.error.startswith("wave canary: bake failed: c1:")
