"""Failures: the `onFailure` policies, a failed upgrade, a failing middle wave, a failed rollback."""

from __future__ import annotations

from dataclasses import replace

from envman.plan.model import ClusterPlan, Plan
from tests.rollout.fakes import World, cluster, gate, plan, run_sync, wave

HTTP_GATE = gate(http={"url": "https://{cluster}.example.com/healthz", "timeout": "30s"})


def three_waves() -> Plan:
    return plan(
        wave("canary", cluster("c1")),
        wave("us", cluster("c2", api="install"), gates=[HTTP_GATE]),
        wave("world", cluster("c3")),
    )


async def test_rollback_wave_puts_back_the_failing_wave_only() -> None:
    world = World()
    world.http.status["https://c2.example.com/healthz"] = 503

    report = await run_sync(world, three_waves())

    assert report.result == "failed" and report.exit_code == 3
    assert [w.result for w in report.waves] == ["succeeded", "rolled-back", "not-started"]
    undo = [c for c in world.helm.calls if c.verb != "upgrade_install"]
    assert [c.key for c in undo] == [
        ("uninstall", "c2", "api"),
        ("rollback", "c2", "web"),
        ("rollback", "c2", "db"),
    ]
    assert undo[0].kwargs == {"timeout": 120.0, "wait": True}
    assert undo[1].kwargs == {"revision": 3, "timeout": 120.0, "wait": True}
    rollbacks = {r.plan.app: r.rollback for r in report.waves[1].releases}
    assert rollbacks["web"] is not None and rollbacks["web"].to_dict()["to_revision"] == 3
    assert {r.plan.app: r.result for r in report.waves[1].releases} == dict.fromkeys(
        ("db", "api", "web"), "rolled-back"
    )
    assert report.error is not None and "gate http failed on c2" in report.error
    assert "status 503, expected 200" in report.error


async def test_later_waves_are_not_started() -> None:
    world = World()
    world.http.status["https://c2.example.com/healthz"] = 503

    report = await run_sync(world, three_waves())

    assert not any(c.cluster == "c3" for c in world.helm.calls)
    assert {r.result for r in report.waves[2].releases} == {"not-started"}


async def test_rollback_all_also_puts_back_earlier_waves_newest_first() -> None:
    world = World()
    world.helm.fail[("upgrade_install", "c3", "db")] = "UPGRADE FAILED: timed out waiting for the condition"

    report = await run_sync(world, three_waves(), on_failure="rollback-all")

    assert [w.result for w in report.waves] == ["rolled-back", "rolled-back", "rolled-back"]
    undo = [c.key for c in world.helm.calls if c.verb != "upgrade_install"]
    assert undo == [
        ("rollback", "c3", "db"),
        ("uninstall", "c2", "api"),
        ("rollback", "c2", "web"),
        ("rollback", "c2", "db"),
        ("rollback", "c1", "api"),
        ("rollback", "c1", "web"),
        ("rollback", "c1", "db"),
    ]


async def test_halt_leaves_everything() -> None:
    world = World()
    world.http.status["https://c2.example.com/healthz"] = 503

    report = await run_sync(world, three_waves(), on_failure="halt")

    assert report.result == "failed" and report.exit_code == 3
    assert [w.result for w in report.waves] == ["succeeded", "failed", "not-started"]
    assert world.helm.keys("rollback", "uninstall") == []


async def test_a_failed_upgrade_stops_new_work_and_in_flight_calls_finish() -> None:
    world = World()
    the_plan = plan(wave("us", cluster("c1", (("api", "web", "worker"), ("edge",))), cluster("c2")))
    world.helm.fail[("upgrade_install", "c1", "api")] = "UPGRADE FAILED: context deadline exceeded"

    report = await run_sync(world, the_plan, concurrency=2)

    upgrades = world.helm.keys("upgrade_install")
    assert upgrades == [("upgrade_install", "c1", "api"), ("upgrade_install", "c1", "web")]
    results = {(r.plan.cluster, r.plan.app): r for r in report.waves[0].releases}
    assert results["c1", "api"].error == "UPGRADE FAILED: context deadline exceeded"
    assert results["c1", "worker"].result == "not-started" and results["c1", "edge"].result == "not-started"
    assert {r.result for k, r in results.items() if k[0] == "c2"} == {"not-started"}
    assert world.helm.keys("rollback") == [("rollback", "c1", "api"), ("rollback", "c1", "web")]
    assert results["c1", "api"].result == "rolled-back"
    assert report.waves[0].gates == []
    assert report.error == "wave us: upgrade of api on c1 failed: UPGRADE FAILED: context deadline exceeded"
    assert results["c1", "api"].error == "UPGRADE FAILED: context deadline exceeded"


async def test_a_failed_rollback_is_reported_never_hidden() -> None:
    world = World()
    world.http.status["https://c2.example.com/healthz"] = 503
    world.helm.fail[("rollback", "c2", "web")] = "ROLLBACK FAILED: release web has no deployed releases"

    report = await run_sync(world, three_waves())

    assert report.result == "failed" and report.exit_code == 3
    assert report.waves[1].result == "rollback-failed"
    web = next(r for r in report.waves[1].releases if r.plan.app == "web")
    assert web.result == "rollback-failed"
    assert web.to_dict()["rollback"] == {
        "action": "rollback",
        "result": "failed",
        "to_revision": 3,
        "revision": None,
        "detail": "ROLLBACK FAILED: release web has no deployed releases",
        "seconds": 10.0,
    }
    assert {r.plan.app: r.result for r in report.waves[1].releases}["db"] == "rolled-back"
    assert report.error is not None and "a rollback failed too" in report.error


async def test_an_uninstall_is_not_undone() -> None:
    world = World()
    world.http.status["https://c1.example.com/healthz"] = 503
    the_plan = plan(wave("us", cluster("c1", (("api",), ("old",)), old="uninstall"), gates=[HTTP_GATE]))

    report = await run_sync(world, the_plan)

    assert world.helm.keys("rollback", "uninstall") == [("uninstall", "c1", "old"), ("rollback", "c1", "api")]
    old = next(r for r in report.waves[0].releases if r.plan.app == "old")
    assert old.rollback is not None and old.rollback.result == "skipped"
    assert report.waves[0].result == "rolled-back"


async def test_rollback_after_a_crashed_run_goes_to_the_last_deployed_revision() -> None:
    world = World()
    world.http.status["https://c1.example.com/healthz"] = 503
    crashed = cluster("c1", layers=(("api",),))
    api = crashed.layers[0][0]
    assert api.live is not None
    pending = replace(api.live, revision=6, status="pending-upgrade", deployed_revision=5)
    stuck = ClusterPlan("c1", "us-east-1", ((replace(api, live=pending),),))

    report = await run_sync(world, plan(wave("canary", stuck, gates=[HTTP_GATE])))

    assert report.result == "failed"
    assert world.helm.calls[0].kwargs["recover"] is True  # the crash's pending release is recovered first
    undo = [c for c in world.helm.calls if c.verb == "rollback"]
    assert [(c.key, c.kwargs["revision"]) for c in undo] == [(("rollback", "c1", "api"), 5)]
    rollback = report.waves[0].releases[0].rollback
    assert rollback is not None and rollback.to_revision == 5
