"""A no-op `envman plan` of 20 releases whose charts come from a chart repository, next to
the same 20 releases from a local chart: requests to the repository and wall time.

    .venv/bin/python bench/plan_remote.py [--helm helm4] [--runs 3]

Set-up (not measured): the test suite's HTTPS chart repository (basic auth, a test CA;
tests/e2e/chart_servers.py) serving the example's web chart as `remoteweb` 0.1.0 and 0.2.0;
one sandbox cluster; environment `remote20`: 20 apps, 10 at each version, credentials from
the environment; pinned in envman.lock (`envman deps`) and synced once; `local20`: the same
20 apps from `charts/web`, synced once. A warm plan checks each cached archive against its pin.
Measured, in a subprocess each: `plan remote20 --detailed-exitcode` with an empty cache
(cold) and then `--runs` times with the cache filled (warm), counting the repository's
index.yaml and chart requests per run; `plan local20 --detailed-exitcode` `--runs` times.
Besides the wall time, the CPU time of the envman process (user + system, helm included):
on a shared machine it barely moves with the load that makes wall times jump.
"""

from __future__ import annotations

import argparse
import sys

from benchlib import HELMS, REPO, Stats, machine, table, workspace

sys.path.insert(0, str(REPO))

from envman.sandbox.testing import running_sandbox
from tests.e2e.chart_servers import PASSWORD, USER, chart_repository, make_chart

APPS = 20


def environment(name: str, chart: str, repo_url: str | None) -> str:
    lines = []
    if repo_url:
        lines += [
            "repositories:",
            f"  internal: {{url: {repo_url}, caFile: certs/ca.pem,",
            "    username: {env: CHARTS_USER}, password: {env: CHARTS_PASSWORD}}",
        ]
    lines += ["clusters: {c1: {region: r1}}", "apps:"]
    for i in range(APPS):
        version = f", version: 0.{1 + i % 2}.0" if repo_url else ""
        lines.append(f"  {name}-{i:02d}: {{chart: {chart}{version}, namespace: ns{i % 4}}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--helm", default="helm4", choices=sorted(HELMS))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    with workspace(HELMS[args.helm]) as ws, running_sandbox(["c1"]) as sandbox:
        cache = ws.tmp / "cache"
        ws.env.update({"CHARTS_USER": USER, "CHARTS_PASSWORD": PASSWORD, "ENVMAN_CACHE_DIR": str(cache)})
        with chart_repository(ws.tmp / "repo", ws.root / "certs") as (repo, _):
            for version in ("0.1.0", "0.2.0"):
                make_chart(ws.root / "charts" / "web", "remoteweb", version, repo.folder, ws.real_helm)
            repo.index(ws.real_helm)
            envs = ws.root / "environments"
            (envs / "remote20.yaml").write_text(environment("r", "internal/remoteweb", repo.url))
            (envs / "local20.yaml").write_text(environment("l", "charts/web", None))
            ws.envman(sandbox.kubeconfig, "deps", "remote20")
            for env in ("remote20", "local20"):
                ws.envman(sandbox.kubeconfig, "sync", env, "--yes")
            rows = []
            for label, runs, clear in (
                ("remote, cold cache", 1, True),
                ("remote, warm cache", args.runs, False),
            ):
                seconds, cpu, index, charts = [], [], [], []
                for _ in range(runs):
                    if clear:
                        for path in sorted(cache.rglob("*.tgz")):
                            path.unlink()
                    repo.hits.clear()
                    run = ws.envman(sandbox.kubeconfig, "plan", "remote20", "--detailed-exitcode")
                    seconds.append(run.seconds)
                    cpu.append(run.cpu_seconds)
                    index.append(repo.hits["/index.yaml"])
                    charts.append(sum(n for p, n in repo.hits.items() if p.endswith(".tgz")))
                rows.append(
                    [
                        label,
                        Stats.of(seconds).seconds(),
                        Stats.of(cpu).seconds(),
                        Stats.of(index).count(),
                        Stats.of(charts).count(),
                    ]
                )
            plan_local = ("plan", "local20", "--detailed-exitcode")
            local = [ws.envman(sandbox.kubeconfig, *plan_local) for _ in range(args.runs)]
            rows.append(
                [
                    "local chart",
                    Stats.of([r.seconds for r in local]).seconds(),
                    Stats.of([r.cpu_seconds for r in local]).seconds(),
                    "-",
                    "-",
                ]
            )
    headers = ["no-op plan of 20 releases", "wall time", "CPU (envman)", "index.yaml requests"]
    headers.append("chart downloads")
    print(table(headers, rows))


if __name__ == "__main__":
    main()
