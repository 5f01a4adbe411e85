"""Order of helm calls, parallel limits, and what an unchanged release or wave does (nothing)."""

from __future__ import annotations

from dataclasses import replace

from envman.plan.cluster_state import managed_labels
from envman.plan.desired import ChartSource
from envman.plan.model import ClusterPlan
from tests.rollout.fakes import SECRET, World, cluster, gate, plan, release, run_sync, unchanged, wave


async def test_waves_then_clusters_then_layers_in_order() -> None:
    world = World()
    the_plan = plan(wave("canary", cluster("c1")), wave("us", cluster("c2"), cluster("c3")))

    report = await run_sync(world, the_plan)

    assert report.result == "succeeded" and report.exit_code == 0
    assert world.helm.keys() == [
        ("upgrade_install", c, app) for c in ("c1", "c2", "c3") for app in ("db", "api", "web")
    ]
    assert [w.result for w in report.waves] == ["succeeded", "succeeded"]


async def test_upgrade_install_gets_the_desired_release() -> None:
    world = World()

    await run_sync(world, plan(wave("canary", cluster("c1", (("api",),)))))

    (call,) = world.helm.calls
    assert call.kwargs == {
        "chart": ChartSource("/repo/charts/api", "1.0.0", None),
        "values": {"image": {"tag": "2.0"}, "db": {"password": SECRET}},
        "timeout": 120.0,
        "labels": {
            **managed_labels("prod", "api"),
            "envman.io/secret-5cc7921ace": "db.password",
            "envman.io/desired-digest": "digest-api",
        },
        "wait": True,
        "recover": False,
    }


async def test_a_release_planned_pending_is_recovered_before_its_upgrade() -> None:
    world = World()
    stuck = release("c1", "api")
    assert stuck.live is not None
    stuck = replace(stuck, live=replace(stuck.live, status="pending-upgrade"))
    await run_sync(world, plan(wave("canary", ClusterPlan("c1", "us-east-1", ((stuck,),)))))
    (call,) = world.helm.calls
    assert call.kwargs["recover"] is True


async def test_a_layer_waits_for_the_previous_one() -> None:
    world = World()

    await run_sync(world, plan(wave("canary", cluster("c1"))))

    starts = {
        r.plan.app: r for r in (await run_sync(World(), plan(wave("w", cluster("c1"))))).waves[0].releases
    }
    assert set(starts) == {"db", "api", "web"}
    assert world.clock.now() == 20.0  # db (10s), then api and web together (10s)


async def test_parallel_limits_are_reached_and_never_exceeded() -> None:
    world = World()
    apps = (("a", "b", "c", "d", "e"),)
    the_plan = plan(wave("all", *(cluster(f"c{i}", apps) for i in range(4)), max_parallel=2))

    report = await run_sync(world, the_plan, concurrency=3)

    assert report.result == "succeeded"
    assert world.helm.max_clusters == 2
    assert world.helm.max_per_cluster == {f"c{i}": 3 for i in range(4)}
    assert len(world.helm.calls) == 20


async def test_unchanged_releases_are_not_touched() -> None:
    world = World()

    report = await run_sync(world, plan(wave("canary", cluster("c1", api="unchanged"))))

    assert world.helm.keys() == [("upgrade_install", "c1", "db"), ("upgrade_install", "c1", "web")]
    results = {r.plan.app: (r.result, r.revision) for r in report.waves[0].releases}
    assert results["api"] == ("unchanged", 3)


async def test_an_unchanged_wave_runs_no_gates() -> None:
    world = World()
    gates = [
        gate(health={}),
        gate(http={"url": "https://{cluster}/healthz"}),
        gate(command={"run": ["true"]}),
    ]
    the_plan = plan(wave("canary", unchanged("c1"), gates=gates, bake=600), wave("us", cluster("c2")))

    report = await run_sync(world, the_plan)

    assert [w.result for w in report.waves] == ["unchanged", "succeeded"]
    assert report.waves[0].gates == []
    assert world.health.checks == [] and world.http.urls == [] and world.commands.runs == []
    assert {c.cluster for c in world.helm.calls} == {"c2"}


async def test_an_unchanged_cluster_in_a_changed_wave_is_skipped() -> None:
    world = World()
    the_plan = plan(wave("canary", unchanged("c1"), cluster("c2"), gates=[gate(health={})]))

    report = await run_sync(world, the_plan)

    assert {c.cluster for c in world.helm.calls} == {"c2"}
    assert [(g.gate, g.cluster) for g in report.waves[0].gates] == [("health", "c2")]


async def test_uninstall_uses_the_uninstall_timeout() -> None:
    world = World()

    await run_sync(
        world, plan(wave("canary", cluster("c1", (("old",),), old="uninstall"))), uninstall_timeout=77.0
    )

    (call,) = world.helm.calls
    assert call.key == ("uninstall", "c1", "old")
    assert call.kwargs == {"timeout": 77.0, "wait": True}
