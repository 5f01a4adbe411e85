"""Approval, interrupts and the environment lock."""

from __future__ import annotations

import asyncio

from envman.plan.model import Plan
from envman.rollout.events import Scope
from tests.rollout.fakes import HelmCall, Holder, World, cluster, gate, plan, run_sync, unchanged, wave


def approval_plan(us_changed: bool = True) -> Plan:
    us = cluster("c2") if us_changed else unchanged("c2")
    return plan(wave("canary", cluster("c1")), wave("us", us, approval=True), wave("world", cluster("c3")))


async def test_without_a_terminal_it_stops_before_the_wave_awaiting_approval() -> None:
    world = World()

    report = await run_sync(world, approval_plan())

    assert report.result == "awaiting-approval" and report.exit_code == 4
    assert [w.result for w in report.waves] == ["succeeded", "not-started", "not-started"]
    assert report.next == "envman sync prod --approve us"
    assert report.error == "wave us needs approval; to continue: envman sync prod --approve us"
    assert {c.cluster for c in world.helm.calls} == {"c1"}
    assert world.prompt.questions == []


async def test_the_continue_line_uses_the_resume_command() -> None:
    report = await run_sync(World(), approval_plan(), resume_command="envman -C infra sync prod")

    assert report.next == "envman -C infra sync prod --approve us"


async def test_approve_option_goes_without_asking() -> None:
    world = World()

    report = await run_sync(world, approval_plan(), approve=frozenset({"us"}))

    assert report.result == "succeeded"
    assert world.prompt.questions == []


async def test_on_a_terminal_yes_goes() -> None:
    world = World()
    world.prompt.interactive = True

    report = await run_sync(world, approval_plan())

    assert report.result == "succeeded"
    assert world.prompt.questions == ["Start wave us of prod (3 release changes on c2)?"]


async def test_on_a_terminal_no_stops() -> None:
    world = World()
    world.prompt.interactive, world.prompt.answer = True, False

    report = await run_sync(world, approval_plan())

    assert report.result == "awaiting-approval" and report.exit_code == 4
    assert {c.cluster for c in world.helm.calls} == {"c1"}


async def test_an_unchanged_wave_needs_no_approval() -> None:
    world = World()

    report = await run_sync(world, approval_plan(us_changed=False))

    assert report.result == "succeeded"
    assert [w.result for w in report.waves] == ["succeeded", "unchanged", "succeeded"]


async def test_interrupt_lets_in_flight_calls_finish_and_starts_nothing_new() -> None:
    world = World()
    stop = asyncio.Event()

    async def stop_on_web(call: HelmCall) -> None:
        if call.key == ("upgrade_install", "c1", "web"):  # api and web are in flight
            stop.set()

    world.helm.before = stop_on_web
    the_plan = plan(wave("canary", cluster("c1"), cluster("c2"), max_parallel=1), wave("us", cluster("c3")))

    report = await run_sync(world, the_plan, stop=stop)

    assert report.result == "interrupted" and report.exit_code == 1
    assert world.helm.keys() == [
        ("upgrade_install", "c1", "db"),
        ("upgrade_install", "c1", "api"),
        ("upgrade_install", "c1", "web"),
    ]
    assert {
        r.plan.app: r.result for r in report.waves[0].releases if r.plan.cluster == "c1"
    } == dict.fromkeys(("db", "api", "web"), "succeeded")
    assert [w.result for w in report.waves] == ["interrupted", "not-started"]
    assert report.error is not None and report.error.startswith("interrupted")
    assert world.lock.log[-1][0] == "release"


async def test_second_interrupt_cancels_in_flight_helm_and_puts_those_releases_back() -> None:
    world = World()
    stop, cancel = asyncio.Event(), asyncio.Event()

    async def interrupt_twice(call: HelmCall) -> None:
        if call.key == ("upgrade_install", "c1", "web"):  # api and web are in flight
            stop.set()
            await world.clock.sleep(1)
            cancel.set()

    world.helm.before = interrupt_twice
    the_plan = plan(wave("canary", cluster("c1")), wave("us", cluster("c2")))

    report = await run_sync(world, the_plan, stop=stop, cancel=cancel)

    assert report.result == "interrupted" and report.exit_code == 1
    releases = {r.plan.app: r for r in report.waves[0].releases}
    assert {app: r.result for app, r in releases.items()} == {
        "db": "succeeded",
        "api": "rolled-back",
        "web": "rolled-back",
    }
    assert releases["web"].error == "upgrade cancelled by a second interrupt"
    assert sorted(world.helm.keys("rollback")) == [("rollback", "c1", "api"), ("rollback", "c1", "web")]
    assert [w.result for w in report.waves] == ["interrupted", "not-started"]
    assert report.error is not None
    assert (
        "a second interrupt cancelled helm for c1/api, c1/web, put back to its previous state" in report.error
    )
    assert world.lock.log[-1][0] == "release"


async def test_interrupt_ends_a_bake_at_once() -> None:
    world = World()
    stop = asyncio.Event()

    async def interrupt_later() -> None:
        await world.clock.sleep(100)
        stop.set()

    the_plan = plan(wave("canary", cluster("c1"), bake=3600))
    stopper = asyncio.ensure_future(interrupt_later())
    report = await run_sync(world, the_plan, stop=stop)
    await stopper

    assert report.result == "interrupted"
    (bake,) = report.waves[0].gates
    assert bake.result == "interrupted" and world.clock.now() == 100.0
    assert world.helm.keys("rollback") == []


async def test_lock_is_acquired_renewed_and_released() -> None:
    world = World()
    the_plan = plan(wave("canary", cluster("c1")), wave("us", cluster("c2")))

    report = await run_sync(world, the_plan, lock_renew_seconds=15)

    assert report.result == "succeeded" and world.clock.now() == 40.0
    assert world.lock.log == [("acquire", 0.0), ("renew", 15.0), ("renew", 30.0), ("release", 40.0)]
    assert world.lock.table == {}
    lock_events = [(e.phase, e.result) for e in world.progress.events if e.scope is Scope.LOCK]
    assert lock_events == [("start", "acquired"), ("finish", "released")]


async def test_the_run_says_which_lock_it_took_over_and_why() -> None:
    world = World()
    note = "took over the lock on cluster 'c2' from ci@runner (pid 7): that run ended at 2026-01-01T00:00:00"
    world.lock.taken_over = [note]

    report = await run_sync(world, plan(wave("canary", cluster("c1"))))

    assert report.result == "succeeded"
    lock_events = [(e.phase, e.result, e.detail) for e in world.progress.events if e.scope is Scope.LOCK]
    assert lock_events[:2] == [
        ("info", "taken-over", note),
        ("start", "acquired", "held by ci@runner (pid 1)"),
    ]


async def test_lock_is_released_after_a_failure() -> None:
    world = World()
    world.health.unhealthy["c1"] = 0.0

    report = await run_sync(
        world, plan(wave("canary", cluster("c1"), gates=[gate(health={"timeout": "1m"})]))
    )

    assert report.result == "failed"
    assert world.lock.log[0][0] == "acquire" and world.lock.log[-1][0] == "release"
    assert world.lock.table == {}


async def test_a_held_lock_fails_fast_naming_its_holder() -> None:
    world = World()
    world.lock.table["prod"] = Holder("alice@laptop")

    report = await run_sync(world, plan(wave("canary", cluster("c1"))))

    assert report.result == "error" and report.exit_code == 1
    assert report.error is not None and "environment prod is locked by alice@laptop (pid 1)" in report.error
    assert [w.result for w in report.waves] == ["not-started"]
    assert world.helm.calls == []
    assert world.lock.table["prod"] == Holder("alice@laptop")


async def test_a_lost_lock_stops_the_run() -> None:
    world = World()

    async def steal(call: HelmCall) -> None:
        if call.cluster == "c2":
            world.lock.table["prod"] = Holder("bob@ci")

    world.helm.before = steal
    the_plan = plan(
        wave("canary", cluster("c1")), wave("us", cluster("c2", (("api",),))), wave("eu", cluster("c3"))
    )

    report = await run_sync(world, the_plan, lock_renew_seconds=15)

    assert report.result == "interrupted"
    assert report.error is not None and report.error.startswith(
        "lock lost: environment prod is now locked by bob@ci"
    )
    assert not any(c.cluster == "c3" for c in world.helm.calls)
    assert world.lock.table["prod"] == Holder("bob@ci")


async def test_an_outage_of_20s_is_ridden_out_by_renewals_with_backoff() -> None:
    world = World()
    world.lock.unreachable_until = 35.0  # the first renewals, at 15 s to 35 s, fail
    the_plan = plan(wave("canary", cluster("c1"), bake=120), wave("us", cluster("c2")))

    report = await run_sync(world, the_plan, lock_renew_seconds=15, bake_check_seconds=30)

    assert report.result == "succeeded"
    renewals = [t for verb, t in world.lock.log if verb == "renew"]
    assert renewals[:6] == [15.0, 16.0, 18.0, 22.0, 30.0, 45.0]  # retried after 1, 2, 4, 8, then 15 s
    assert renewals[6] == 60.0  # back to the interval once renewed


async def test_a_lock_that_cannot_be_renewed_before_it_expires_stops_new_work() -> None:
    world = World()
    world.lock.unreachable_until = 10_000.0
    the_plan = plan(wave("canary", cluster("c1"), bake=600), wave("us", cluster("c2")))

    report = await run_sync(world, the_plan, lock_renew_seconds=15, lock_expiry_seconds=300)

    assert report.result == "interrupted" and report.exit_code == 1
    assert report.error is not None and "could not be renewed for" in report.error
    assert "could expire" in report.error
    assert not any(c.cluster == "c2" for c in world.helm.calls)
    assert world.lock.log[-1][0] == "release"
    assert max(t for verb, t in world.lock.log if verb == "renew") < 300
