"""The verification record and safe resume: a wave whose releases match but whose gates
never passed for that state runs them again before the next wave; passing records it."""

from __future__ import annotations

from envman.rollout.events import Phase, Scope
from tests.rollout.fakes import World, cluster, gate, plan, run_sync, unchanged, wave

HEALTH = gate(health={"timeout": "1m"})
ALL = {"db": "digest-db", "api": "digest-api", "web": "digest-web"}


async def test_an_unverified_unchanged_wave_runs_its_gates_then_is_recorded() -> None:
    world = World()
    canary = wave(
        "canary", unchanged("c1"), gates=[HEALTH], bake=60, unverified=[("c1", "api"), ("c1", "web")]
    )
    the_plan = plan(canary, wave("us", cluster("c2"), gates=[HEALTH]))

    report = await run_sync(world, the_plan)

    assert report.result == "succeeded"
    assert [w.result for w in report.waves] == ["verified", "succeeded"]
    assert [(g.gate, g.cluster, g.result) for g in report.waves[0].gates] == [
        ("health", "c1", "passed"),
        ("bake", None, "passed"),
    ]
    assert world.health.checks[0][:2] == ("c1", ("api", "web"))  # the unverified ones
    assert world.helm.keys("upgrade_install") == [("upgrade_install", "c2", r) for r in ("db", "api", "web")]
    assert world.verifications.records == [("c1", "canary", ALL), ("c2", "us", ALL)]


async def test_a_failing_verification_stops_the_rollout_and_rolls_nothing_back() -> None:
    world = World()
    world.health.unhealthy["c1"] = 0.0
    canary = wave(
        "canary", unchanged("c1"), gates=[gate(health={"timeout": "30s"})], unverified=[("c1", "api")]
    )

    report = await run_sync(world, plan(canary, wave("us", cluster("c2"))))

    assert report.result == "failed" and report.exit_code == 3
    assert [w.result for w in report.waves] == ["failed", "not-started"]
    assert world.helm.calls == []  # nothing changed, nothing rolled back, the change not carried on
    assert world.verifications.records == []


async def test_a_verified_unchanged_wave_is_skipped_without_gates() -> None:
    world = World()

    report = await run_sync(world, plan(wave("canary", unchanged("c1"), gates=[HEALTH])))

    assert [w.result for w in report.waves] == ["unchanged"]
    assert world.health.checks == [] and world.verifications.records == []


async def test_a_failed_wave_records_nothing() -> None:
    world = World()
    world.health.unhealthy["c2"] = 0.0

    report = await run_sync(
        world, plan(wave("canary", cluster("c1")), wave("us", cluster("c2"), gates=[HEALTH]))
    )

    assert [w.result for w in report.waves] == ["succeeded", "rolled-back"]
    assert world.verifications.records == [("c1", "canary", ALL)]


async def test_a_record_that_cannot_be_written_is_said_and_the_run_goes_on() -> None:
    world = World()
    world.verifications.failing.add("c1")

    report = await run_sync(world, plan(wave("canary", cluster("c1")), wave("us", cluster("c2"))))

    assert report.result == "succeeded"
    said = [e for e in world.progress.events if e.scope is Scope.WAVE and e.phase is Phase.INFO]
    assert [(e.cluster, e.result) for e in said] == [("c1", "not-recorded")]
    assert "the next sync verifies again" in said[0].detail
    assert world.verifications.records == [("c2", "us", ALL)]
