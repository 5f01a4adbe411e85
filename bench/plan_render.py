"""A plan that renders: one value changes for every release of a large fleet, so `envman plan`
renders each distinct input (`helm template`, hooks included) while it reads the clusters;
next to the floor, the same distinct `helm template` runs executed directly, two at a time.

    .venv/bin/python bench/plan_render.py [--clusters 20] [--releases 50] [--runs 3]

Fleet: `bench/plan_live.py`'s (`--clusters` clusters, `--releases` apps each, synced on the
first cluster and copied to the others). Then every app gets one more value
(`benchRevision: "2"`), the same on every cluster: `--releases` distinct renders, every
release an upgrade. Measured `--runs` times each, in a subprocess: the no-op plan before the
change (exit 0 required: what reading the fleet costs), `envman plan live --detailed-exitcode`
after it (exit 2 required) and the floor (`helm template <release> <chart>
--namespace <ns> --is-upgrade -f -`, values on stdin, a pool of 2). Goal: plan <= 1.3 x floor.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter

from benchlib import Stats, Workspace, machine, table, timed
from plan_live import CHARTS, fleet_arguments, live_fleet

CHANGE = {"benchRevision": "2"}


def changed_values(index: int) -> dict[str, object]:
    chart = CHARTS[index % len(CHARTS)][0]
    base: dict[str, object] = {"migrations": {"enabled": False}} if chart == "worker" else {}
    return {**base, **CHANGE}


def change_every_release(ws: Workspace, releases: int) -> None:
    path = ws.root / "environments" / "live.yaml"
    prefixes = {f"  {CHARTS[i % len(CHARTS)][0]}-{i:02d}: ": i for i in range(releases)}
    lines = []
    for line in path.read_text().splitlines():
        index = next((i for prefix, i in prefixes.items() if line.startswith(prefix)), None)
        if index is None:
            lines.append(line)
            continue
        head, _, _ = line.rpartition(", values: ")
        lines.append(f"{head}, values: {json.dumps(changed_values(index))}}}")
    path.write_text("\n".join(lines) + "\n")


def floor(ws: Workspace, releases: int) -> float:
    """Seconds of the distinct renders, run directly two at a time."""

    def render(i: int) -> None:
        chart, namespace = CHARTS[i % len(CHARTS)]
        name = f"{chart}-{i:02d}"
        argv = [str(ws.helm), "template", name, str(ws.root / "charts" / chart), "--namespace", namespace]
        timed([*argv, "--is-upgrade", "-f", "-"], ws.env, stdin=json.dumps(changed_values(i)))

    start = perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(render, range(releases)))
    return perf_counter() - start


def main() -> None:
    args = fleet_arguments(__doc__, naive=0)
    print(f"machine: {machine()}; {args.runs} runs, median (min-max)")
    with live_fleet(args) as (ws, sandbox, _):
        plan_live = ("plan", "live", "--detailed-exitcode")
        noops = [ws.envman(sandbox.kubeconfig, *plan_live) for _ in range(args.runs)]
        change_every_release(ws, args.releases)
        plans, floors = [], []
        for _ in range(args.runs):
            plans.append(ws.envman(sandbox.kubeconfig, *plan_live, check=False))
            assert plans[-1].returncode == 2, plans[-1].stdout[-2000:]
            floors.append(floor(ws, args.releases))
        noop, plan = Stats.of([p.seconds for p in noops]), Stats.of([p.seconds for p in plans])
        base = Stats.of(floors)
        rows = [
            [
                f"{args.clusters} x {args.releases}",
                str(args.releases),
                noop.seconds(),
                plan.seconds(),
                base.seconds(),
                f"{plan.median / base.median:.2f}",
                f"{(plan.median - noop.median) / base.median:.2f}",
            ]
        ]
    headers = [
        "fleet",
        "distinct renders",
        "no-op plan (reads only)",
        "envman plan (renders)",
        "floor (2 at a time)",
        "plan / floor",
        "(plan - no-op) / floor",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
