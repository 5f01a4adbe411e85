"""`rollback_app`: each selected release back to its previous revision, awaited and reported."""

from __future__ import annotations

from typing import cast

from envman.rollout.app_rollback import RollbackTarget, rollback_app
from envman.rollout.ports import HelmFor
from tests.rollout.fakes import FakeClock, FakeFleet, RecordingProgress


async def test_each_cluster_goes_back_one_revision() -> None:
    clock = FakeClock()
    fleet = FakeFleet(clock)
    fleet.fail[("rollback", "c2", "api")] = "ROLLBACK FAILED: timed out"
    targets = [RollbackTarget(c, "api", "api", "api") for c in ("c1", "c2")]
    progress = RecordingProgress()

    results = await clock.run(
        rollback_app(targets, cast(HelmFor, fleet.helm_for), clock, timeout=60, progress=progress)
    )

    assert [c.key for c in fleet.calls] == [
        ("history", "c1", "api"),
        ("rollback", "c1", "api"),
        ("history", "c2", "api"),
        ("rollback", "c2", "api"),
    ]
    assert fleet.calls[1].kwargs == {"revision": 2, "timeout": 60, "wait": True}
    assert [r.to_dict() for r in results] == [
        {
            "cluster": "c1",
            "app": "api",
            "release": "api",
            "namespace": "api",
            "result": "succeeded",
            "from_revision": 3,
            "to_revision": 2,
            "revision": 100,
            "detail": "rolled back from revision 3 to 2 (now revision 100)",
            "seconds": 10.0,
        },
        {
            "cluster": "c2",
            "app": "api",
            "release": "api",
            "namespace": "api",
            "result": "failed",
            "from_revision": None,
            "to_revision": None,
            "revision": None,
            "detail": "ROLLBACK FAILED: timed out",
            "seconds": 10.0,
        },
    ]
    assert [(e.cluster, e.phase, e.result) for e in progress.events][-1] == ("c2", "finish", "failed")
