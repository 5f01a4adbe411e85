"""The rollout engine: `sync(plan, ports, options)` runs a plan's waves and returns the report.

As the README's Sync says: take the environment lock; for each wave in order: skip it when it
changes nothing (no gates either), check approval, sync its clusters (`releases`), run its
gates and bake (`gating`). The first failure ends the run: the rollback policy `onFailure`
is applied (`undo`) and later waves stay `not-started` (exit 3). Setting `stop` (SIGINT,
SIGTERM) starts no new work: in-flight helm calls finish, nothing is rolled back, the run is
`interrupted` (exit 1); a second one (`cancel`) also cancels the in-flight helm calls, and the
releases they were changing are put back (`rollback` to their pre-run revision, or
uninstall). A lock that cannot be taken (`LockHeld`, an unreachable cluster) ends the run as
`error` (exit 1) before anything is touched, with a report like every other end.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from envman.kit.errors import EnvmanError
from envman.plan.model import Plan
from envman.rollout.approval import approved, continue_command, continue_hint
from envman.rollout.context import FirstFailure, RolloutOptions, RolloutPorts, Run
from envman.rollout.events import Phase, Scope
from envman.rollout.lock import LockKeeper
from envman.rollout.report import Report, WaveReport
from envman.rollout.results import ReleaseResult, RunResult, WaveResult
from envman.rollout.verify import record_verification
from envman.rollout.wave_gates import run_gates
from envman.rollout.wave_rollback import attempted, undo_wave, unverified_or_attempted
from envman.rollout.wave_sync import sync_clusters

_PASSED = (WaveResult.SUCCEEDED, WaveResult.VERIFIED)


async def sync(
    plan: Plan,
    ports: RolloutPorts,
    options: RolloutOptions,
    *,
    stop: asyncio.Event | None = None,
    cancel: asyncio.Event | None = None,
) -> Report:
    """Roll `plan` out; the report says what happened (`Report.exit_code` for the CLI)."""
    run = Run(ports, options, plan.environment, stop or asyncio.Event(), cancel or asyncio.Event())
    started = datetime.now(UTC).isoformat(timespec="seconds")
    report = Report.of(plan, on_failure=options.on_failure, started=started)
    begin = run.clock.now()
    keeper = LockKeeper(
        ports.lock,
        options.holder,
        run.clock,
        options.lock_renew_seconds,
        ports.progress,
        run.halt,
        options.lock_expiry_seconds,
    )
    run.emit(Scope.RUN, Phase.START, detail=f"sync {plan.environment}: {_count(len(plan.waves), 'wave')}")
    try:
        async with keeper:
            await _run_waves(run, report)
    except EnvmanError as exc:  # the lock was not taken, or something no step expects
        report.result, report.error = RunResult.ERROR, str(exc)
    report.seconds = run.clock.now() - begin
    report.error = run.redact(report.error) if report.error else None
    run.emit(Scope.RUN, Phase.FINISH, result=report.result.value, seconds=report.seconds)
    return report


async def _run_waves(run: Run, report: Report) -> None:
    for index, wave in enumerate(report.waves):
        if run.stopped:
            _interrupted(run, report)
            return
        if not wave.plan.changed and not wave.plan.needs_verify:
            run.emit(Scope.WAVE, Phase.INFO, wave=wave.name, result=WaveResult.UNCHANGED.value)
            continue
        go = await approved(run, wave) if wave.plan.changed else True
        if go is None:
            _interrupted(run, report)
            return
        if not go:
            report.result = RunResult.AWAITING_APPROVAL
            report.error = continue_hint(run, wave)
            report.next = continue_command(run, wave)
            return
        state = await _run_wave(run, wave)
        if run.stopped and wave.result not in _PASSED:
            note = await _recover_cancelled(run, wave)
            if state.failed:
                note += f"; wave {wave.name} had failed: {state.failure}"
            _interrupted(run, report, note)
            return
        if state.failed:
            await _fail(run, report, index, state.failure or "")
            return


async def _run_wave(run: Run, wave: WaveReport) -> FirstFailure:
    start = run.clock.now()
    state = FirstFailure()
    run.emit(Scope.WAVE, Phase.START, wave=wave.name)
    await sync_clusters(run, wave, state)
    finished = not (state.failed or run.stopped) and await run_gates(run, wave, state)
    wave.result = _wave_result(state, finished=finished)
    if finished:
        await record_verification(run, wave)
        if not wave.plan.changed:
            wave.result = WaveResult.VERIFIED
    wave.seconds = run.clock.now() - start
    run.emit(
        Scope.WAVE,
        Phase.FINISH,
        wave=wave.name,
        result=wave.result.value,
        detail=state.failure or "",
        seconds=wave.seconds,
    )
    return state


async def _fail(run: Run, report: Report, index: int, failure: str) -> None:
    failing = report.waves[index]
    report.result = RunResult.FAILED
    report.error = f"wave {failing.name}: {failure}"
    policy = run.options.on_failure
    if policy == "halt":
        return
    picks = {failing.name: unverified_or_attempted(failing)}
    if policy == "rollback-all":
        picks |= {w.name: attempted for w in report.waves[:index] if w.result is WaveResult.SUCCEEDED}
    undone = [w for w in reversed(report.waves[: index + 1]) if w.name in picks]
    undone = [w for w in undone if any(picks[w.name](r) for r in w.releases)]
    for wave in undone:
        await undo_wave(run, wave, picks[wave.name])
    if any(w.result is WaveResult.ROLLBACK_FAILED for w in undone):
        report.error += "; a rollback failed too: see the rollback of each release"


async def _recover_cancelled(run: Run, wave: WaveReport) -> str:
    """Put back the releases whose helm call a second interrupt cancelled (helm leaves them
    `failed` at a new revision); what was done, for the run's error."""
    cancelled = [r for r in wave.releases if r.result is ReleaseResult.CANCELLED]
    if not cancelled:
        return ""
    await undo_wave(run, wave, lambda r: r.result is ReleaseResult.CANCELLED)
    if wave.result is not WaveResult.ROLLBACK_FAILED:
        wave.result = WaveResult.INTERRUPTED
    names = ", ".join(f"{r.plan.cluster}/{r.plan.app}" for r in cancelled)
    failed = any(r.result is ReleaseResult.ROLLBACK_FAILED for r in cancelled)
    outcome = "and putting it back failed" if failed else "put back to its previous state"
    return f"; a second interrupt cancelled helm for {names}, {outcome}"


def _wave_result(state: FirstFailure, *, finished: bool) -> WaveResult:
    if state.failed:
        return WaveResult.FAILED
    return WaveResult.SUCCEEDED if finished else WaveResult.INTERRUPTED


def _interrupted(run: Run, report: Report, note: str = "") -> None:
    report.result = RunResult.INTERRUPTED
    report.error = run.stop_reason + note


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
