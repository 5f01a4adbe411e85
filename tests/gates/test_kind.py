"""What every kind shares (`gates.kind`): a site's placeholders, polling, output tails."""

from __future__ import annotations

from envman.gates.kind import GateSite, poll_until, tail, with_tail
from envman.gates.ports import GateResult
from tests.gates.fakes import FakeGateContext


def test_expansion_replaces_only_the_four_placeholders() -> None:
    site = GateSite(None, "r1", ("c1", "c3"), {"environment": "prod", "wave": "us", "region": "r1"})

    assert site.expand('x{code=~"5..",env="{environment}"} {wave} {region} {nope}') == (
        'x{code=~"5..",env="prod"} us r1 {nope}'
    )
    assert site.expand("{cluster}") == "{cluster}"  # not a value at a region's site


async def test_polling_passes_at_the_first_passing_try() -> None:
    ctx = FakeGateContext(poll_seconds=5.0)
    lefts: list[float] = []

    async def attempt(left: float) -> tuple[bool, str]:
        lefts.append(left)
        return len(lefts) == 3, f"try {len(lefts)}"

    assert await poll_until(ctx, 60.0, attempt) == (GateResult.PASSED, "try 3")
    assert lefts == [60.0, 55.0, 50.0] and ctx.time == 10.0


async def test_polling_fails_at_the_timeout_with_the_last_detail() -> None:
    ctx = FakeGateContext(poll_seconds=4.0)

    async def attempt(left: float) -> tuple[bool, str]:
        return False, f"{left:g}s left"

    result = await poll_until(ctx, 10.0, attempt)

    # tries at 0, 4 and 8 s; the last pause is cut to the 2 s left; a last try gets 1 s
    assert result == (GateResult.FAILED, "1s left (still failing after 10.0s, 4 tries)")
    assert ctx.time == 10.0


async def test_polling_stops_with_the_run() -> None:
    ctx = FakeGateContext(stop_at=5.0)

    async def attempt(left: float) -> tuple[bool, str]:
        return False, "not yet"

    assert await poll_until(ctx, 60.0, attempt) == (GateResult.INTERRUPTED, "not yet (interrupted)")


def test_output_tails_keep_the_last_lines() -> None:
    output = "\n".join(f"line {i}" for i in range(30)) + "\n\n"

    assert tail(output).splitlines() == [f"line {i}" for i in range(10, 30)]
    assert with_tail("failed", "one\ntwo\n") == "failed\none\ntwo"
    assert with_tail("failed", "  \n") == "failed"
