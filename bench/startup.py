"""How fast the CLI starts: `envman --version`, `--help`, a shell completion and the commands
that need no cluster (`validate` of the bundled example, `graph prod`, `schema`), next to
`python -c "import click"`, the floor any click program pays.

    .venv/bin/python bench/startup.py [--runs 15]

Each is run `--runs` times as a new process (`.venv/bin/envman`, the console script a user
runs), median wall time. Goals: `--version` within 4x of `import click`; `validate` within 10x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

from benchlib import ENVMAN, REPO, VENV_BIN, machine, table

COMPLETION = {"_ENVMAN_COMPLETE": "bash_complete", "COMP_WORDS": "envman pl", "COMP_CWORD": "1"}


def seconds(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env={**os.environ, **(env or {})}, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    floor = seconds([str(VENV_BIN / "python"), "-c", "import click"], args.runs)
    cases = [
        ("envman --version", [str(ENVMAN), "--version"], None, 4),
        ("envman --help", [str(ENVMAN), "--help"], None, None),
        ("TAB (complete `envman pl`)", [str(ENVMAN)], COMPLETION, None),
        ("envman validate", [str(ENVMAN), "validate"], None, 10),
        ("envman graph prod", [str(ENVMAN), "graph", "prod"], None, None),
        ("envman schema", [str(ENVMAN), "schema"], None, None),
    ]
    rows = [["python -c 'import click'", f"{floor * 1000:.0f} ms", "1.0x", ""]]
    for label, argv, env, goal in cases:
        took = seconds(argv, args.runs, env)
        ratio = took / floor
        verdict = "" if goal is None else (f"<= {goal}x: met" if ratio <= goal else f"<= {goal}x: NOT met")
        rows.append([label, f"{took * 1000:.0f} ms", f"{ratio:.1f}x", verdict])
    print(f"machine: {machine()}; median of {args.runs} runs each")
    print(table(["command", "wall", "vs import click", "goal"], rows))


if __name__ == "__main__":
    main()
