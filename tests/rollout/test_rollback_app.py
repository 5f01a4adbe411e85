"""`envman rollback` on fakes: every cluster checked before any change (`choose`), the target
per cluster (previous, a revision, the newest revision from a commit), then wave by wave with
each wave's maxParallel, stopping at the first failure (`rollback_app`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import cast

import pytest

from envman.plan.cluster_state import COMMIT_LABEL, LiveRelease
from envman.plan.waves import WaveSettings
from envman.rollout.app_rollback import exit_code, rollback_app
from envman.rollout.ports import HelmFor
from envman.rollout.rollback_choice import RollbackPlan, RollbackRefused, RollbackTarget, Wanted, choose
from tests.rollout.fakes import FakeClock, FakeFleet, RecordingProgress

A, B, C = "a" * 40, "ab" + "c" * 38, "c" * 40


def revs(*specs: tuple[int, str, str | None]) -> list[LiveRelease]:
    """(revision, status, commit) each."""
    return [
        LiveRelease(
            "api",
            "api",
            n,
            status,
            "api",
            f"1.{n}.0",
            labels={COMMIT_LABEL: commit} if commit else {},
            updated=datetime(2026, 1, n, tzinfo=UTC),
        )
        for n, status, commit in specs
    ]


def three(*commits: str | None) -> list[LiveRelease]:
    """Revisions 1.. (superseded) with these commits, the last one deployed."""
    last = len(commits)
    return revs(*((n, "deployed" if n == last else "superseded", c) for n, c in enumerate(commits, 1)))


def targets(*clusters: str) -> list[RollbackTarget]:
    return [RollbackTarget(c, "api", "api", "api") for c in clusters]


def waves(*spec: tuple[str, tuple[str, ...], int]) -> list[WaveSettings]:
    return [WaveSettings(name, clusters, (), None, False, parallel) for name, clusters, parallel in spec]


ONE_WAVE = waves(("all", ("c1", "c2", "c3", "c4"), 4))


def test_a_revision_missing_on_one_cluster_refuses_naming_every_such_cluster() -> None:
    histories = {"c1": three(A, B, C, A, B, C, A), "c2": three(A, B, C), "c4": three(A, B, C, A, B, C, A, B)}
    with pytest.raises(RollbackRefused) as refused:
        choose(targets("c1", "c2", "c3", "c4"), histories, Wanted(revision=7), ONE_WAVE)
    assert str(refused.value).splitlines() == [
        "cannot roll api back to revision 7 on every selected cluster; nothing was changed:",
        "c2: no revision 7 (helm holds 1, 2, 3)",
        "c3: the release is not installed (select the other clusters with --cluster)",
    ]


def test_the_previous_revision_by_default_and_one_without_any_is_refused() -> None:
    plan = choose(targets("c1"), {"c1": three(A, B, C)}, Wanted(), ONE_WAVE)
    assert [(s.target.cluster, s.from_revision, s.to_revision) for s in plan.steps] == [("c1", 3, 2)]
    with pytest.raises(RollbackRefused, match="c2: revision 1 has no previous revision"):
        choose(targets("c1", "c2"), {"c1": three(A, B, C), "c2": three(A)}, Wanted(), ONE_WAVE)


def test_to_commit_picks_each_clusters_newest_usable_revision_synced_from_it() -> None:
    histories = {
        "c1": three(A, B, A, C),  # 3 is the newest from A
        "c2": three(A, C),
        "c3": revs(
            (1, "superseded", A), (2, "superseded", f"{A}-dirty"), (3, "failed", A), (4, "deployed", C)
        ),
        "c4": three(C, A),  # already there
    }
    plan = choose(targets("c1", "c2", "c3", "c4"), histories, Wanted(commit="aaaa"), ONE_WAVE)
    assert plan.commit == A
    assert [(s.target.cluster, s.from_revision, s.to_revision) for s in plan.steps] == [
        ("c1", 4, 3),
        ("c2", 2, 1),
        ("c3", 4, 1),
    ]
    assert [(t.cluster, n) for t, n in plan.unchanged] == [("c4", 2)]


def test_to_commit_that_one_cluster_never_ran_is_refused() -> None:
    histories = {"c1": three(A, C), "c2": three(C, B)}
    with pytest.raises(RollbackRefused) as refused:
        choose(targets("c1", "c2"), histories, Wanted(commit=A[:8]), ONE_WAVE)
    assert "c2: no deployed or superseded revision synced from commit aaaaaaaaaaaa (helm holds 1, 2)" in str(
        refused.value
    )


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("a", "--to-commit 'a': give a commit hash or a prefix of at least 4 hex digits"),
        ("main", "--to-commit 'main': give a commit hash or a prefix of at least 4 hex digits"),
        ("dddd", "--to-commit dddd: no revision on the selected clusters was synced from a commit starting"),
        ("aaaa", None),
        ("abcc", None),
        ("a" * 3 + "b", "no revision on the selected clusters"),
    ],
)
def test_commit_prefixes_resolve_to_one_commit_or_are_a_clear_error(prefix: str, message: str | None) -> None:
    histories = {"c1": three(A, B, C)}
    if message is None:
        assert choose(targets("c1"), histories, Wanted(commit=prefix), ONE_WAVE).commit in (A, B)
        return
    with pytest.raises(RollbackRefused, match=message.replace("(", r"\(")):
        choose(targets("c1"), histories, Wanted(commit=prefix), ONE_WAVE)


def test_an_ambiguous_prefix_names_the_candidates() -> None:
    first, second = "abcd" + "0" * 36, "abcd" + "1" * 36
    histories = {"c1": three(A, first), "c2": three(second, A)}
    with pytest.raises(RollbackRefused, match=r"^--to-commit abcd is ambiguous: abcd00000000, abcd11111111;"):
        choose(targets("c1", "c2"), histories, Wanted(commit="abcd"), ONE_WAVE)


def plan_over(clusters: tuple[str, ...], spec: list[WaveSettings]) -> RollbackPlan:
    return choose(targets(*clusters), {c: three(A, B, C) for c in clusters}, Wanted(), spec)


async def test_wave_by_wave_with_each_waves_max_parallel() -> None:
    clock = FakeClock()
    fleet = FakeFleet(clock)
    spec = waves(("canary", ("c1",), 1), ("world", ("c2", "c3", "c4"), 2))
    progress = RecordingProgress()

    results = await clock.run(
        rollback_app(
            plan_over(("c1", "c2", "c3", "c4"), spec),
            cast(HelmFor, fleet.helm_for),
            clock,
            timeout=60,
            progress=progress,
        )
    )

    assert [c.key for c in fleet.calls] == [("rollback", c, "api") for c in ("c1", "c2", "c3", "c4")]
    assert fleet.calls[0].kwargs == {"revision": 2, "timeout": 60, "wait": True}
    assert clock.now() == 30.0 and fleet.max_clusters == 2  # c1; then c2, c3; then c4
    assert [(r.target.cluster, r.wave, r.result.value) for r in results] == [
        ("c1", "canary", "succeeded"),
        ("c2", "world", "succeeded"),
        ("c3", "world", "succeeded"),
        ("c4", "world", "succeeded"),
    ]
    assert results[0].to_dict() == {
        "cluster": "c1",
        "app": "api",
        "release": "api",
        "namespace": "api",
        "wave": "canary",
        "result": "succeeded",
        "from_revision": 3,
        "to_revision": 2,
        "revision": 100,
        "detail": "rolled back from revision 3 to 2 (now revision 100)",
        "seconds": 10.0,
    }
    assert exit_code(results) == 0
    assert [(e.cluster, e.phase.value) for e in progress.events][:2] == [("c1", "start"), ("c1", "finish")]


async def test_the_first_failed_wave_is_the_last() -> None:
    clock = FakeClock()
    fleet = FakeFleet(clock)
    fleet.fail[("rollback", "c1", "api")] = "ROLLBACK FAILED: timed out"
    spec = waves(("canary", ("c1",), 1), ("world", ("c2", "c3"), 2))

    results = await clock.run(
        rollback_app(plan_over(("c1", "c2", "c3"), spec), cast(HelmFor, fleet.helm_for), clock, timeout=60)
    )

    assert fleet.keys() == [("rollback", "c1", "api")]
    assert [(r.target.cluster, r.result.value, r.detail) for r in results] == [
        ("c1", "failed", "ROLLBACK FAILED: timed out"),
        ("c2", "not-started", "wave canary failed first"),
        ("c3", "not-started", "wave canary failed first"),
    ]
    assert exit_code(results) == 3


async def test_an_interrupt_starts_no_new_step() -> None:
    clock = FakeClock()
    fleet = FakeFleet(clock)
    stop = asyncio.Event()

    async def interrupted(call: object) -> None:
        stop.set()

    fleet.before = interrupted
    spec = waves(("canary", ("c1",), 1), ("world", ("c2",), 1))

    results = await clock.run(
        rollback_app(
            plan_over(("c1", "c2"), spec), cast(HelmFor, fleet.helm_for), clock, timeout=60, stop=stop
        )
    )

    assert fleet.keys() == [("rollback", "c1", "api")]  # the running one finishes
    assert [r.result.value for r in results] == ["succeeded", "not-started"]
    assert results[1].detail == "interrupted before it started"
    assert exit_code(results) == 1


async def test_clusters_already_at_their_target_are_reported_and_left_alone() -> None:
    clock = FakeClock()
    fleet = FakeFleet(clock)
    plan = choose(
        targets("c1", "c2"), {"c1": three(A, B), "c2": three(A, C, B)}, Wanted(revision=2), ONE_WAVE
    )
    results = await clock.run(rollback_app(plan, cast(HelmFor, fleet.helm_for), clock, timeout=60))
    assert fleet.keys() == [("rollback", "c2", "api")]
    assert [(r.target.cluster, r.result.value, r.detail) for r in results] == [
        ("c1", "skipped", "already at revision 2"),
        ("c2", "succeeded", "rolled back from revision 3 to 2 (now revision 100)"),
    ]
