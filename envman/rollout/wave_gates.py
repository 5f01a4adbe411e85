"""The gates after a wave that changed something, in the order the spec lists them, then the bake.

Every run of one gate (per cluster, region or wave, see `placeholders`) goes concurrently;
the first gate that fails ends the wave's gating (later gates do not run) and fails the wave.
A kind that runs `per_cluster` (`health`, `helmTest`) looks at the releases the wave deployed
(installs and upgrades) on a cluster, and skips a cluster where it deployed none. The bake
re-checks the health of those releases every `bake.every` (default `bake_check_seconds`) for
the wave's `bake`; the first unhealthy answer ends it.
"""

from __future__ import annotations

import asyncio

from envman.gates.kind import GateSite
from envman.gates.ports import Deployed, GateResult
from envman.gates.registry import KINDS
from envman.kit.durations import elapsed
from envman.plan.model import Action, ClusterPlan, ReleasePlan
from envman.rollout.context import FirstFailure, Run
from envman.rollout.events import Phase, Scope
from envman.rollout.gate_context import RunGateContext, poll_health
from envman.rollout.placeholders import sites
from envman.rollout.report import GateReport, WaveReport
from envman.rollout.results import ReleaseResult
from envman.spec.models import Gate

BAKE = "bake"


async def run_gates(run: Run, wave: WaveReport, state: FirstFailure) -> bool:
    """Every gate of `wave`, then its bake; the first failure is recorded in `state`.
    True when all of them passed, False when one failed or the run was stopped meanwhile."""
    for gate in wave.plan.settings.gates:
        if run.stopped:
            return False
        records = await _run_gate(run, wave, gate)
        wave.gates.extend(records)
        for record in records:
            if record.result is GateResult.FAILED:
                state.fail(f"gate {record.gate} failed{_where(record)}: {record.detail}")
        if state.failed or any(r.result is GateResult.INTERRUPTED for r in records):
            return False
    if wave.plan.settings.bake_seconds:
        if run.stopped:
            return False
        record = await _bake(run, wave, wave.plan.settings.bake_seconds)
        wave.gates.append(record)
        if record.result is GateResult.FAILED:
            state.fail(f"bake failed: {record.detail}")
        return record.result is GateResult.PASSED
    return True


def deployed(wave: WaveReport, cluster: ClusterPlan) -> list[Deployed]:
    """The releases the gates of `wave` look at on `cluster`: those it installed or upgraded,
    and those unchanged whose desired state its gates never passed (see `WavePlan.unverified`)."""
    return [
        Deployed(r.app, r.release, r.namespace)
        for r in cluster.releases
        if r.action is not Action.UNINSTALL and _to_verify(wave, cluster, r)
    ]


def _to_verify(wave: WaveReport, cluster: ClusterPlan, release: ReleasePlan) -> bool:
    result = wave.record(release).result
    if result is ReleaseResult.SUCCEEDED:
        return True
    return result is ReleaseResult.UNCHANGED and (cluster.name, release.app) in wave.plan.unverified


async def _run_gate(run: Run, wave: WaveReport, gate: Gate) -> list[GateReport]:
    per_cluster = KINDS[gate.kind].per_cluster
    chosen = [
        site
        for site in sites(gate, wave.plan, run.environment)
        if not per_cluster or _deployed_at(wave, site)
    ]
    return list(await asyncio.gather(*(_run_site(run, wave, gate, site) for site in chosen)))


def _deployed_at(wave: WaveReport, site: GateSite) -> list[Deployed]:
    clusters = [c for c in wave.plan.clusters if c.name in site.clusters]
    return [r for cluster in clusters for r in deployed(wave, cluster)]


async def _run_site(run: Run, wave: WaveReport, gate: Gate, site: GateSite) -> GateReport:
    start = run.clock.now()
    run.emit(Scope.GATE, Phase.START, wave=wave.name, cluster=site.cluster or site.region, name=gate.kind)
    kind = KINDS[gate.kind]
    result, detail = await kind.check(gate.config, site, _deployed_at(wave, site), RunGateContext(run))
    record = GateReport(
        gate.kind,
        site.cluster,
        site.region if site.cluster is None else None,
        result,
        run.redact(detail),
        run.clock.now() - start,
    )
    _emit_finish(run, wave, record)
    return record


async def _bake(run: Run, wave: WaveReport, seconds: float) -> GateReport:
    start = run.clock.now()
    run.emit(
        Scope.GATE, Phase.START, wave=wave.name, name=BAKE, detail=f"for {elapsed(seconds)}", limit=seconds
    )
    result, detail = await _watch(run, wave, seconds)
    record = GateReport(BAKE, None, None, result, run.redact(detail), run.clock.now() - start)
    _emit_finish(run, wave, record)
    return record


async def _watch(run: Run, wave: WaveReport, seconds: float) -> tuple[GateResult, str]:
    watched = [(c.name, deployed(wave, c)) for c in wave.plan.clusters]
    watched = [(name, releases) for name, releases in watched if releases]
    start = run.clock.now()
    checks = 0
    every = wave.plan.settings.bake_every_seconds or run.options.bake_check_seconds
    while (left := start + seconds - run.clock.now()) > 0 and watched:
        if not await run.pause(min(every, left)):
            return GateResult.INTERRUPTED, f"interrupted after {elapsed(run.clock.now() - start)}"
        answers = await asyncio.gather(*(poll_health(run, name, releases) for name, releases in watched))
        checks += 1
        for (name, _), answer in zip(watched, answers, strict=True):
            if not answer.ok:
                after = elapsed(run.clock.now() - start)
                return GateResult.FAILED, f"{name}: {answer.detail} (after {after} of {elapsed(seconds)})"
    return GateResult.PASSED, f"healthy through {elapsed(seconds)} ({checks} checks)"


def _emit_finish(run: Run, wave: WaveReport, record: GateReport) -> None:
    run.emit(
        Scope.GATE,
        Phase.FINISH,
        wave=wave.name,
        cluster=record.cluster or record.region,
        name=record.gate,
        result=record.result.value,
        detail=record.detail,
        seconds=record.seconds,
    )


def _where(record: GateReport) -> str:
    where = record.cluster or record.region
    return f" on {where}" if where else ""
