"""A no-op `envman plan` with the live read (drift) of a large fleet, next to the naive loop
a CI script would run for the same truth, and `status` next to `plan`.

    .venv/bin/python bench/plan_live.py [--clusters 20] [--releases 50] [--runs 3] [--naive 25]

Fleet: a generated environment `live` with `--clusters` clusters in one wave and
`--releases` apps per cluster (the example's web, worker and postgres charts in turn, in 3
namespaces). The releases are synced for real on the first cluster (`envman sync live
--cluster live-000`, setup, not measured); then helm's storage Secrets, every object of
every release's stored manifest and the verification record are copied to every other
cluster through the API, so each cluster holds what a sync would have left there.

Measured, `--runs` times each, in a subprocess (`.venv/bin/envman`: start-up counts):
- `envman plan live --detailed-exitcode` (exit 0 required: no change, no drift, verified);
- the naive loop on `--naive` releases of the first cluster, sequentially, as a CI script
  without envman would get the same truth: per release `helm template` (values on stdin),
  `helm get manifest`, and a GET of every object of the manifest; its per-release time is
  multiplied by the fleet's release count (an extrapolation, said so in the output: the
  full loop would take tens of minutes).
Then, on the bundled example's prod (5 clusters, 24 releases, synced): `envman status prod`
next to `envman plan prod`. Figures: wall time, API requests per cluster, peak RSS, and the
CPU the in-process sandbox used during the measured runs (this process's CPU: it only waits
for envman meanwhile), as a share of one core: a busy sandbox would be measured too.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchlib import (
    HELMS,
    PROD_CLUSTERS,
    CpuShare,
    Stats,
    Workspace,
    api,
    machine,
    table,
    timed,
    workspace,
)

from envman.plan.manifests import manifest_objects
from envman.sandbox.server import DEFAULT_READY_DELAY
from envman.sandbox.testing import RunningSandbox, running_sandbox

CHARTS = (("web", "web"), ("worker", "jobs"), ("postgres", "data"))
_DROPPED_META = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation")


def names(count: int) -> list[str]:
    return [f"live-{i:03d}" for i in range(count)]


def environment(clusters: list[str], releases: int) -> str:
    lines = ["clusters:"]
    lines += [f"  {name}: {{region: r0}}" for name in clusters]
    lines.append("apps:")
    for i in range(releases):
        chart, namespace = CHARTS[i % len(CHARTS)]
        values = "{migrations: {enabled: false}}" if chart == "worker" else "{}"
        lines.append(
            f"  {chart}-{i:02d}: {{chart: charts/{chart}, namespace: {namespace}, values: {values}}}"
        )
    lines += ["rollout:", "  concurrency: 8", "  waves: [{name: all, regions: [r0], maxParallel: 4}]"]
    return "\n".join(lines) + "\n"


def collection(obj: dict[str, Any], plural: str) -> str:
    meta = obj["metadata"]
    version = obj["apiVersion"]
    base = "/api/v1" if version == "v1" else f"/apis/{version}"
    where = f"/namespaces/{meta['namespace']}" if meta.get("namespace") else ""
    return f"{base}{where}/{plural}"


def plurals(sandbox: RunningSandbox, cluster: str, versions: set[str]) -> dict[tuple[str, str], str]:
    found = {}
    for version in versions:
        path = "/api/v1" if version == "v1" else f"/apis/{version}"
        for resource in api(sandbox, cluster, "GET", path)["resources"]:
            if "/" not in resource["name"]:
                found[(version, resource["kind"])] = resource["name"]
    return found


def copy_fleet(sandbox: RunningSandbox, clusters: list[str], environment: str = "live") -> None:
    """Storage, objects and the verification record of clusters[0] onto every other cluster."""
    source = clusters[0]
    storage = api(sandbox, source, "GET", "/api/v1/secrets?labelSelector=owner%3Dhelm")["items"]
    record = api(
        sandbox, source, "GET", f"/api/v1/namespaces/default/configmaps/envman-verified-{environment}"
    )
    objects = []
    for secret in storage:
        manifest = _manifest(secret)
        for obj in manifest_objects(manifest, secret["metadata"]["namespace"]):
            objects.append(obj.ref)
    kinds = plurals(sandbox, source, {ref.api_version for ref in objects})
    live = []
    for ref in objects:
        plural = kinds[(ref.api_version, ref.kind)]
        body = {"apiVersion": ref.api_version, "metadata": {"name": ref.name, "namespace": ref.namespace}}
        live.append((plural, api(sandbox, source, "GET", collection(body, plural) + "/" + ref.name)))
    namespaces = sorted({s["metadata"]["namespace"] for s in storage})
    live.sort(key=lambda item: item[1]["kind"] != "CustomResourceDefinition")  # before their resources
    for cluster in clusters[1:]:
        for namespace in namespaces:
            api(sandbox, cluster, "POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
        for item in [*(("secrets", s) for s in storage), ("configmaps", record), *live]:
            plural, obj = item
            api(sandbox, cluster, "POST", collection(obj, plural), _clean(obj))


def _manifest(secret: dict[str, Any]) -> str:
    import base64
    import gzip

    raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
    return str(json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)["manifest"])


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    copy = {k: v for k, v in obj.items() if k != "status"}
    copy["metadata"] = {k: v for k, v in obj["metadata"].items() if k not in _DROPPED_META}
    return copy


def naive_loop(
    ws: Workspace, sandbox: RunningSandbox, cluster: str, releases: list[tuple[str, str, str]]
) -> float:
    """Seconds per release of: helm template, helm get manifest, a GET of each object."""
    kube = ["--kube-context", cluster, "--kubeconfig", str(sandbox.kubeconfig)]
    kinds: dict[tuple[str, str], str] = {}
    start = time.perf_counter()
    for name, chart, namespace in releases:
        timed(
            [str(ws.helm), "template", name, str(ws.root / "charts" / chart), "-n", namespace, "-f", "-"],
            ws.env,
            stdin="{}",
        )
        manifest = timed([str(ws.helm), *kube, "get", "manifest", name, "-n", namespace], ws.env).stdout
        for obj in manifest_objects(manifest, namespace):
            key = (obj.ref.api_version, obj.ref.kind)
            if key not in kinds:
                kinds.update(plurals(sandbox, cluster, {obj.ref.api_version}))
            body = {
                "apiVersion": obj.ref.api_version,
                "metadata": {"name": obj.ref.name, "namespace": obj.ref.namespace},
            }
            api(sandbox, cluster, "GET", collection(body, kinds[key]) + "/" + obj.ref.name)
    return (time.perf_counter() - start) / len(releases)


@contextmanager
def live_fleet(args: argparse.Namespace) -> Iterator[tuple[Workspace, RunningSandbox, list[str]]]:
    """The generated environment `live`, synced on its first cluster and copied to the others."""
    clusters = names(args.clusters)
    with workspace(HELMS["helm4"]) as ws, running_sandbox(clusters, ready_delay=args.ready_delay) as sandbox:
        (ws.root / "environments" / "live.yaml").write_text(environment(clusters, args.releases))
        ws.envman(sandbox.kubeconfig, "sync", "live", "--cluster", clusters[0])
        copy_fleet(sandbox, clusters)
        yield ws, sandbox, clusters


def fleet_rows(args: argparse.Namespace) -> list[list[str]]:
    with live_fleet(args) as (ws, sandbox, clusters):
        kc = sandbox.kubeconfig
        seconds, requests, rss = [], [], []
        cpu = CpuShare()
        for _ in range(args.runs):
            sandbox.reset_counters()
            with cpu.measuring():
                run = ws.envman(kc, "plan", "live", "--detailed-exitcode")
            seconds.append(run.seconds)
            requests.append(max(sandbox.requests(c) for c in clusters))
            rss.append(run.max_rss_mib)
        sample = [
            (f"{CHARTS[i % 3][0]}-{i:02d}", CHARTS[i % 3][0], CHARTS[i % 3][1])
            for i in range(min(args.naive, args.releases))
        ]
        per_release = naive_loop(ws, sandbox, clusters[0], sample)
        total = args.clusters * args.releases
        plan = Stats.of(seconds)
        naive = per_release * total
        return [
            [
                f"{args.clusters} x {args.releases}",
                plan.seconds(),
                f"{max(requests):g}",
                f"{Stats.of(rss).median:.0f} MiB",
                f"{naive:.0f} s (extrapolated: {per_release:.3f} s/release x {total})",
                f"{naive / plan.median:.0f}x",
                cpu.percent(),
            ]
        ]


def status_rows(args: argparse.Namespace) -> list[list[str]]:
    with (
        workspace(HELMS["helm4"]) as ws,
        running_sandbox(PROD_CLUSTERS, ready_delay=args.ready_delay) as sandbox,
    ):
        path = ws.root / "environments" / "prod.yaml"
        path.write_text(
            "".join(line for line in path.read_text().splitlines(keepends=True) if "bake:" not in line)
        )
        kc = sandbox.kubeconfig
        ws.envman(kc, "sync", "prod")
        rows = []
        for command in ("plan", "status"):
            seconds, requests = [], []
            cpu = CpuShare()
            for _ in range(args.runs):
                sandbox.reset_counters()
                with cpu.measuring():
                    seconds.append(ws.envman(kc, command, "prod").seconds)
                requests.append(max(sandbox.requests(c) for c in PROD_CLUSTERS))
            rows.append(
                [f"envman {command} prod", Stats.of(seconds).seconds(), f"{max(requests):g}", cpu.percent()]
            )
        return rows


def fleet_arguments(description: str | None, naive: int) -> argparse.Namespace:
    """The command line of a benchmark on `live_fleet` (`--naive`: releases the naive loop is
    timed on, 0 for none)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--releases", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive", type=int, default=naive, help="releases the naive loop is timed on")
    parser.add_argument("--ready-delay", type=float, default=DEFAULT_READY_DELAY)
    return parser.parse_args()


def main() -> None:
    args = fleet_arguments(__doc__, naive=25)
    print(
        f"machine: {machine()}; sandbox ready delay {args.ready_delay}s; {args.runs} runs, median (min-max)"
    )
    headers = [
        "clusters x releases",
        "envman plan (live read)",
        "API requests / cluster",
        "peak RSS",
        "naive loop",
        "speed-up",
        "sandbox CPU during the plans",
    ]
    print(table(headers, fleet_rows(args)))
    print()
    headers = ["prod: 5 clusters, 24 releases", "wall", "API requests / cluster", "sandbox CPU (runs)"]
    print(table(headers, status_rows(args)))


if __name__ == "__main__":
    main()
