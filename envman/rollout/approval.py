"""Approval before a wave with `approval: true` that has changes: approved up front with
`--approve WAVE`, else asked on a terminal, else the run stops (`awaiting-approval`, exit 4)."""

from __future__ import annotations

from envman.rollout.context import Run
from envman.rollout.events import Phase, Scope
from envman.rollout.report import WaveReport


async def approved(run: Run, wave: WaveReport) -> bool | None:
    """True to go, False to stop before `wave`; None when the run was stopped while asking."""
    if not wave.plan.settings.approval:
        return True
    if wave.name in run.options.approve:
        run.emit(
            Scope.APPROVAL, Phase.INFO, wave=wave.name, result="approved", detail="approved with --approve"
        )
        return True
    prompt = run.ports.prompt
    if not prompt.is_interactive():
        run.emit(
            Scope.APPROVAL, Phase.INFO, wave=wave.name, result="awaiting", detail=continue_hint(run, wave)
        )
        return False
    run.emit(Scope.APPROVAL, Phase.START, wave=wave.name)
    answer = await run.unless_stopped(prompt.confirm(_question(run, wave)))
    result = "interrupted" if answer is None else "approved" if answer else "declined"
    run.emit(Scope.APPROVAL, Phase.FINISH, wave=wave.name, result=result)
    return answer


def continue_command(run: Run, wave: WaveReport) -> str:
    """The command that runs the sync again with `wave` approved."""
    base = run.options.resume_command or f"envman sync {run.environment}"
    return f"{base} --approve {wave.name}"


def continue_hint(run: Run, wave: WaveReport) -> str:
    return f"wave {wave.name} needs approval; to continue: {continue_command(run, wave)}"


def _question(run: Run, wave: WaveReport) -> str:
    clusters = [c for c in wave.plan.clusters if c.changed]
    changes = sum(1 for c in clusters for r in c.releases if r.changed)
    names = ", ".join(c.name for c in clusters)
    return f"Start wave {wave.name} of {run.environment} ({changes} release changes on {names})?"
