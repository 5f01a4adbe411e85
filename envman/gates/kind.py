"""What a gate kind is (`GateKind`), where one run of a gate applies (`GateSite`), and the
polling and output helpers the kinds share.

A gate whose strings use `{cluster}` runs once per cluster of the wave, `{region}` once per
region, otherwise once per wave; a kind with `per_cluster` (it looks at the releases the
wave deployed) always runs per cluster and skips a cluster where the wave deployed none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from envman.gates.ports import Deployed, GateContext, GateResult, ProbeKey
from envman.kit.durations import elapsed
from envman.kit.strict import Strict

ConfigT = TypeVar("ConfigT", bound=Strict)
TAIL_LINES = 20

Outcome = tuple[GateResult, str]
Attempt = Callable[[float], Awaitable[tuple[bool, str]]]
"""One try of a polled gate, given the time left: (passed, detail)."""


@dataclass(frozen=True)
class GateSite:
    """Where one run of a gate applies: a cluster, a region or the whole wave, with the
    placeholder values there."""

    cluster: str | None
    region: str | None
    clusters: tuple[str, ...]
    values: Mapping[str, str]

    def expand(self, text: str) -> str:
        """Replace only `{environment}` `{wave}` `{cluster}` `{region}`: PromQL label
        matchers (`{code=~"5.."}`) and other braces stay as written."""
        for name, value in self.values.items():
            text = text.replace("{" + name + "}", value)
        return text


class GateKind(Generic[ConfigT]):
    """One kind of gate. A subclass names its spec key and model, the probe it needs if any,
    and implements `check`."""

    name: ClassVar[str]
    """The key in the spec (`health`, `http`, ...) and in the report."""
    config: type[ConfigT]
    """The pydantic model of the kind's settings."""
    per_cluster: ClassVar[bool] = False
    """Runs per cluster on the releases the wave deployed there."""
    probe: ClassVar[ProbeKey[Any] | None] = None
    """The probe its check gets with `ctx.probe(self.probe)`: a subclass sets
    `probe = ProbeKey[ItsProbe]("its name")`, typed by the probe's Protocol (None: it
    needs none, as `health` and `helmTest`, which use the engine's own ports)."""

    def strings(self, config: ConfigT) -> tuple[str, ...]:
        """The strings of `config` that placeholders may appear in."""
        return ()

    async def check(
        self, config: ConfigT, site: GateSite, deployed: Sequence[Deployed], ctx: GateContext
    ) -> Outcome:
        """One run of the gate at `site`: passed or failed, and why."""
        raise NotImplementedError


async def poll_until(ctx: GateContext, timeout: float, attempt: Attempt) -> Outcome:
    """Try `attempt` every `poll_seconds` until it passes or `timeout` ends."""
    deadline = ctx.now() + timeout
    tries = 0
    while True:
        passed, detail = await attempt(max(deadline - ctx.now(), 1.0))
        tries += 1
        if passed:
            return GateResult.PASSED, detail
        remaining = deadline - ctx.now()
        if remaining <= 0:
            return GateResult.FAILED, f"{detail} (still failing after {elapsed(timeout)}, {tries} tries)"
        if not await ctx.pause(min(ctx.poll_seconds, remaining)):
            return GateResult.INTERRUPTED, f"{detail} (interrupted)"


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of `text`, trailing blank lines dropped."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def with_tail(head: str, output: str) -> str:
    last = tail(output)
    return f"{head}\n{last}" if last else head
