"""The verification record and safe resume: a wave whose releases match but whose gates
never passed for that state runs them again before the next wave; passing records it."""

from __future__ import annotations

from dataclasses import replace

from envman.plan.model import WavePlan, with_releases
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


async def test_a_failing_verification_without_a_verified_revision_leaves_the_release_and_says_so() -> None:
    world = World()
    world.health.unhealthy["c1"] = 0.0
    canary = wave(
        "canary", unchanged("c1"), gates=[gate(health={"timeout": "30s"})], unverified=[("c1", "api")]
    )

    report = await run_sync(world, plan(canary, wave("us", cluster("c2"))))

    assert report.result == "failed" and report.exit_code == 3
    assert [w.result for w in report.waves] == ["failed", "not-started"]
    assert world.helm.calls == []  # no verified revision to go back to; the change not carried on
    api = report.waves[0].releases[1]
    assert api.plan.app == "api" and api.rollback is not None
    assert (api.rollback.result.value, api.rollback.detail) == (
        "skipped",
        "no revision of it ran a state this wave verified: left as it runs",
    )
    assert world.verifications.records == []


def _with_verified(wave_plan: WavePlan, revisions: dict[tuple[str, str], int]) -> WavePlan:
    return with_releases(
        plan(wave_plan), lambda r: replace(r, verified_revision=revisions.get((r.cluster, r.app)))
    ).waves[0]


async def test_a_failing_verification_rolls_each_unverified_release_back_to_its_last_verified_revision() -> (
    None
):
    world = World()
    world.health.unhealthy["c1"] = 0.0
    canary = wave(
        "canary",
        unchanged("c1"),
        gates=[gate(health={"timeout": "30s"})],
        unverified=[("c1", "api"), ("c1", "web")],
    )
    canary = _with_verified(canary, {("c1", "api"): 2, ("c1", "db"): 3})  # web: none verified

    report = await run_sync(world, plan(canary, wave("us", cluster("c2"))))

    assert report.result == "failed" and report.exit_code == 3
    assert [w.result for w in report.waves] == ["rolled-back", "not-started"]
    assert [(c.verb, c.cluster, c.release, c.kwargs.get("revision")) for c in world.helm.calls] == [
        ("rollback", "c1", "api", 2)
    ]
    db, api, web = report.waves[0].releases
    assert db.rollback is None  # verified: not touched
    assert api.result.value == "rolled-back" and api.rollback is not None
    assert api.rollback.detail.startswith("rolled back to revision 2 (the last verified one)")
    assert web.rollback is not None and web.rollback.result.value == "skipped"


async def test_a_change_over_a_never_verified_revision_goes_back_to_the_verified_one() -> None:
    world = World()
    world.health.unhealthy["c1"] = 0.0
    canary = _with_verified(
        wave("canary", cluster("c1", db="unchanged", web="unchanged"), gates=[HEALTH]), {("c1", "api"): 1}
    )

    report = await run_sync(world, plan(canary))

    rollbacks = [(c.release, c.kwargs.get("revision")) for c in world.helm.calls if c.verb == "rollback"]
    assert rollbacks == [("api", 1)]  # not revision 3, the never-verified one that ran before this run
    assert report.waves[0].result.value == "rolled-back"


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
