"""`command`: runs its argv (no shell) in the repository root; it must exit 0 in time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import Field

from envman.gates.kind import GateKind, GateSite, Outcome, with_tail
from envman.gates.ports import Deployed, GateContext, GateResult, ProbeKey
from envman.kit.durations import elapsed
from envman.kit.errors import EnvmanError
from envman.kit.strict import Duration, Strict


class CommandRunner(Protocol):
    async def run(self, argv: Sequence[str], timeout: float, cwd: str) -> tuple[int | None, str]:
        """Run `argv` (no shell) in `cwd`: (exit code, last lines of output); the exit code
        is None when the command ran out of time and was killed. `ProbeError` if it cannot start."""
        ...


class CommandGate(Strict):
    """A command that must exit 0 (its output is shown)."""

    run: list[str] = Field(min_length=1)
    """Command and arguments (no shell), run from the repository root; exit 0 passes."""
    timeout: Duration = 120.0
    """How long it may run."""


class Command(GateKind[CommandGate]):
    name = "command"
    config = CommandGate
    probe = ProbeKey[CommandRunner]("command")

    def strings(self, config: CommandGate) -> tuple[str, ...]:
        return tuple(config.run)

    async def check(
        self, config: CommandGate, site: GateSite, deployed: Sequence[Deployed], ctx: GateContext
    ) -> Outcome:
        argv = [site.expand(arg) for arg in config.run]
        commands = ctx.probe(self.probe)
        try:
            outcome = await ctx.unless_stopped(commands.run(argv, config.timeout, str(ctx.root)))
        except EnvmanError as exc:
            return GateResult.FAILED, f"cannot run {argv[0]}: {exc}"
        if outcome is None:
            return GateResult.INTERRUPTED, f"{argv[0]} was stopped (interrupted)"
        code, output = outcome
        if code is None:
            return GateResult.FAILED, with_tail(
                f"{argv[0]} timed out after {elapsed(config.timeout)} and was killed", output
            )
        result = GateResult.PASSED if code == 0 else GateResult.FAILED
        return result, with_tail(f"{argv[0]} exited {code}", output)
