"""Fail fast: a definitive workload failure stops helm at once and fails the release."""

from __future__ import annotations

from envman.plan.workload_failures import WorkloadFailure
from envman.rollout.events import Phase, Scope
from tests.rollout.fakes import World, cluster, plan, run_sync, wave

PULL = WorkloadFailure("ImagePullBackOff", 'Back-off pulling image "api:bad"', "api-7f9c-x2", "api")


async def test_a_workload_failure_stops_helm_at_once_and_rolls_the_wave_back() -> None:
    world = World()  # every helm call takes 10 virtual seconds
    world.watcher.failing["c1", "api"] = (3.0, PULL)
    world.watcher.pods = "1/3 ready"

    report = await run_sync(world, plan(wave("canary", cluster("c1")), wave("us", cluster("c2"))))

    assert report.result == "failed" and report.exit_code == 3
    api = next(r for r in report.waves[0].releases if r.plan.app == "api")
    assert api.result == "rolled-back" and api.seconds == 3.0
    assert api.to_dict()["failure"] == {
        "reason": "ImagePullBackOff",
        "pod": "api-7f9c-x2",
        "container": "api",
        "message": 'Back-off pulling image "api:bad"',
    }
    assert api.error == 'ImagePullBackOff (pod api-7f9c-x2, container api): Back-off pulling image "api:bad"'
    assert report.error == (
        "wave canary: upgrade of api on c1 failed: ImagePullBackOff (pod api-7f9c-x2, container api): "
        'Back-off pulling image "api:bad"'
    )
    assert ("rollback", "c1", "api") in world.helm.keys("rollback")
    assert [w.result for w in report.waves] == ["rolled-back", "not-started"]
    progress = [e for e in world.progress.events if e.phase is Phase.PROGRESS]
    assert progress and progress[0].scope is Scope.RELEASE and progress[0].detail == "1/3 ready"


async def test_with_fail_fast_off_helm_alone_decides() -> None:
    world = World()
    world.watcher.failing["c1", "api"] = (3.0, PULL)

    report = await run_sync(world, plan(wave("canary", cluster("c1"))), fail_fast=None)

    assert report.result == "succeeded" and world.watcher.watched == []


async def test_a_watcher_that_cannot_read_the_cluster_leaves_helm_to_decide() -> None:
    world = World()
    world.watcher.broken.add("c1")

    report = await run_sync(world, plan(wave("canary", cluster("c1"))))

    assert report.result == "succeeded"
    notes = [e.detail for e in world.progress.events if e.phase is Phase.PROGRESS]
    assert any(
        "fail-fast watch stopped, helm's timeout decides" in n and "connection refused" in n for n in notes
    )


async def test_each_upgrade_is_watched_and_uninstalls_are_not() -> None:
    world = World()

    await run_sync(world, plan(wave("canary", cluster("c1", web="uninstall"))))

    assert sorted(world.watcher.watched) == [("c1", "api"), ("c1", "db")]
