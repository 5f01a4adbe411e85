"""The `command` kind on a fake of its probe: argv expanded at the site, run in the root."""

from __future__ import annotations

from pathlib import Path

from envman.gates.command import Command, CommandGate
from envman.gates.ports import GateResult, ProbeError
from envman.rollout.ports import Probes
from tests.gates.fakes import FakeCommands, FakeGateContext, check


def command_context(
    commands: FakeCommands, root: Path = Path("/repo"), stop_at: float | None = None
) -> FakeGateContext:
    return FakeGateContext(Probes().with_probe(Command.probe, commands), root=root, stop_at=stop_at)


async def test_command_failure_and_timeout_carry_the_output_tail() -> None:
    """Moved from tests/rollout/test_engine_gates.py (that the report names the cluster of a
    `{cluster}` command: tests/adapters/probes/test_command.py, through the engine)."""
    for code, detail in [(2, "./smoke exited 2\nran ./smoke c1"), (None, "./smoke timed out after 2m00s")]:
        commands = FakeCommands()
        commands.exit_code = code
        result, text = await check(Command(), {"run": ["./smoke", "{cluster}"]}, command_context(commands))
        assert result == "failed"
        assert text.startswith(detail)


async def test_exit_0_passes_and_runs_in_the_root() -> None:
    commands = FakeCommands()

    result = await check(
        Command(), {"run": ["./smoke", "{wave}", "{environment}"]}, command_context(commands, root=Path("/r"))
    )

    assert result == (GateResult.PASSED, "./smoke exited 0\nran ./smoke us prod")
    assert commands.runs == [(("./smoke", "us", "prod"), "/r")]


async def test_a_command_that_cannot_start_fails() -> None:
    commands = FakeCommands()
    commands.error = ProbeError("cannot start './nope' in /r: No such file")

    result = await check(Command(), {"run": ["./nope"]}, command_context(commands))

    assert result == (GateResult.FAILED, "cannot run ./nope: cannot start './nope' in /r: No such file")


async def test_a_stopped_run_interrupts_the_command() -> None:
    commands = FakeCommands()

    result = await check(Command(), {"run": ["./smoke"]}, command_context(commands, stop_at=0.0))

    assert result == (GateResult.INTERRUPTED, "./smoke was stopped (interrupted)")
    assert commands.runs == []


def test_placeholders_may_be_in_every_argument() -> None:
    assert Command().strings(CommandGate(run=["x", "{region}-{cluster}"])) == ("x", "{region}-{cluster}")
