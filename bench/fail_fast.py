"""Fail fast: from the first failing pod of a bad upgrade to the start of its rollback, with
the default 5-minute helm timeout, next to the same run with `failFast: false` (today's
figure: helm's whole timeout); and what the watching costs a healthy prod sync.

    .venv/bin/python bench/fail_fast.py [--helm helm4 helm3] [--modes image-pull crash-loop job-fail]
                                        [--baseline HELM...] [--healthy HELM...] [--healthy-runs 3]

Per helm version, on the bundled example's prod (synced first, not measured):
- per mode: bump the api image (the worker's for job-fail, whose pre-upgrade hook Job runs
  it), `sandbox fail prod-use1-canary --app <app> --mode <mode>`, run `envman sync prod` in
  a subprocess; a thread polls the canary's pods and Jobs every 0.1 s through the API for the
  first sign of the failure (a container waiting in ErrImagePull/ImagePullBackOff or
  CrashLoopBackOff, a Job `Failed`), and envman's stderr is read for `rollback
  prod-use1-canary/<app>: started`. Detection = rollback start - first sign. Then `heal`.
- baseline: the image-pull case again with `rollout.failFast: false` (helm waits its
  timeout: about 300 s; `--baseline HELM...` limits it to those helms, none when empty).
- healthy (for `--healthy HELM...`, default every helm): `--healthy-runs` syncs of an api
  image bump on all five clusters (bake removed),
  with fail fast on and off in turn; the median wall times and their ratio.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import threading
import time

from benchlib import ENVMAN, HELMS, PROD_CLUSTERS, Stats, Workspace, api, machine, table, workspace

from envman.sandbox.server import DEFAULT_READY_DELAY
from envman.sandbox.testing import RunningSandbox, running_sandbox

CANARY = "prod-use1-canary"
SIGNS = {"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"}
APP_OF = {"image-pull": "api", "crash-loop": "api", "job-fail": "worker"}


def first_sign(sandbox: RunningSandbox, stop: threading.Event, seen: list[float]) -> None:
    """Poll the canary's `api` namespace until a failure shows; its time goes into `seen`."""
    while not stop.is_set():
        pods = api(sandbox, CANARY, "GET", "/api/v1/namespaces/api/pods")["items"]
        jobs = api(sandbox, CANARY, "GET", "/apis/batch/v1/namespaces/api/jobs")["items"]
        waiting = {
            (c.get("state") or {}).get("waiting", {}).get("reason")
            for p in pods
            for c in (p.get("status") or {}).get("containerStatuses") or []
        }
        failed = any(
            c.get("type") == "Failed" and c.get("status") == "True"
            for j in jobs
            for c in (j.get("status") or {}).get("conditions") or []
        )
        if waiting & SIGNS or failed:
            seen.append(time.monotonic())
            return
        time.sleep(0.1)


def bump(ws: Workspace, app: str, tag: str) -> None:
    path = ws.root / "environments" / "prod.yaml"
    text = path.read_text()
    pattern = (
        r'(image: \{tag: ")[^"]+("\}\s+#)'
        if app == "api"
        else r'(image: \{tag: ")[^"]+("\}\n      replicaCount: 3)'
    )
    path.write_text(re.sub(pattern, rf"\g<1>{tag}\g<2>", text, count=1))


def failing_sync(ws: Workspace, sandbox: RunningSandbox, mode: str, tag: str) -> float:
    """Seconds from the first sign of failure to the rollback's start."""
    app = APP_OF[mode]
    bump(ws, app, tag)
    sandbox.fail(CANARY, app, mode=mode)
    stop, seen = threading.Event(), []
    poller = threading.Thread(target=first_sign, args=(sandbox, stop, seen), daemon=True)
    poller.start()
    argv = [
        str(ENVMAN),
        "--no-color",
        "-C",
        str(ws.root),
        "--kubeconfig",
        str(sandbox.kubeconfig),
        "sync",
        "prod",
    ]
    proc = subprocess.Popen(argv, env=ws.env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    rollback = None
    for line in proc.stderr:
        if f"rollback {CANARY}/{app}: started" in line and rollback is None:
            rollback = time.monotonic()
    proc.wait()
    stop.set()
    poller.join()
    sandbox.heal(CANARY)
    if proc.returncode != 3 or rollback is None or not seen:
        raise SystemExit(f"{mode}: sync exited {proc.returncode}, rollback {rollback}, first sign {seen}")
    return rollback - seen[0]


def set_fail_fast(ws: Workspace, on: bool) -> None:
    path = ws.root / "environments" / "base.yaml"
    text = re.sub(r"\n  failFast: \w+\n", "\n", path.read_text())
    path.write_text(text if on else text.replace("rollout:\n", "rollout:\n  failFast: false\n", 1))


def drop_bake(ws: Workspace) -> None:
    path = ws.root / "environments" / "prod.yaml"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.strip().startswith("bake:")))


def healthy(ws: Workspace, sandbox: RunningSandbox, runs: int) -> tuple[Stats, Stats]:
    drop_bake(ws)
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(runs):
        for on in (True, False):
            set_fail_fast(ws, on)
            bump(ws, "api", f"9.{i}.{int(on)}")
            times[on].append(ws.envman(sandbox.kubeconfig, "sync", "prod").seconds)
    set_fail_fast(ws, True)
    return Stats.of(times[True]), Stats.of(times[False])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--helm", nargs="+", default=["helm4", "helm3"], choices=sorted(HELMS))
    parser.add_argument("--modes", nargs="+", default=list(APP_OF), choices=sorted(APP_OF))
    parser.add_argument(
        "--baseline", nargs="*", default=None, choices=sorted(HELMS), help="default: every --helm"
    )
    parser.add_argument(
        "--healthy", nargs="*", default=None, choices=sorted(HELMS), help="default: every --helm"
    )
    parser.add_argument("--healthy-runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    rows, healthy_rows = [], []
    for name in args.helm:
        with (
            workspace(HELMS[name]) as ws,
            running_sandbox(PROD_CLUSTERS, ready_delay=DEFAULT_READY_DELAY) as sandbox,
        ):
            ws.envman(sandbox.kubeconfig, "sync", "prod")
            for i, mode in enumerate(args.modes):
                rows.append([name, mode, "on", f"{failing_sync(ws, sandbox, mode, f'8.{i}.0'):.1f} s"])
            if name in (args.helm if args.baseline is None else args.baseline):
                set_fail_fast(ws, False)
                rows.append(
                    [
                        name,
                        "image-pull",
                        "off (helm's timeout)",
                        f"{failing_sync(ws, sandbox, 'image-pull', '8.9.0'):.1f} s",
                    ]
                )
                set_fail_fast(ws, True)
            if args.healthy_runs and name in (args.helm if args.healthy is None else args.healthy):
                on, off = healthy(ws, sandbox, args.healthy_runs)
                ratio = f"{(on.median / off.median - 1) * 100:+.1f} %"
                healthy_rows.append([name, on.seconds(), off.seconds(), ratio])
    print(table(["helm", "mode", "fail fast", "first failing pod -> rollback start"], rows))
    if healthy_rows:
        print()
        print(table(["helm", "healthy sync, fail fast on", "off", "cost of watching"], healthy_rows))


if __name__ == "__main__":
    main()
