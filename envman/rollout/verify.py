"""The verification record after a wave's gates and bake passed: in every cluster of the
wave, the digests of the releases they passed for (README, Verification record). A record that
cannot be written is said, not fatal: the next sync then verifies the wave again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from envman.kit.errors import EnvmanError
from envman.rollout.context import Run
from envman.rollout.events import Phase, Scope
from envman.rollout.report import WaveReport
from envman.rollout.results import ReleaseResult

_PASSED = (ReleaseResult.SUCCEEDED, ReleaseResult.UNCHANGED)


async def record_verification(run: Run, wave: WaveReport) -> None:
    at = datetime.now(UTC).isoformat(timespec="seconds")

    async def one(cluster: str, releases: dict[str, str]) -> None:
        try:
            await run.ports.verifications.record(cluster, wave.name, releases, at)
        except EnvmanError as exc:
            run.emit(
                Scope.WAVE,
                Phase.INFO,
                wave=wave.name,
                cluster=cluster,
                result="not-recorded",
                detail=f"verification not recorded (the next sync verifies again): {exc}",
            )

    records = []
    for cluster in wave.plan.clusters:
        releases = {
            r.app: r.digest
            for r in cluster.releases
            if r.desired is not None and r.digest is not None and wave.record(r).result in _PASSED
        }
        if releases:
            records.append(one(cluster.name, releases))
    await asyncio.gather(*records)
