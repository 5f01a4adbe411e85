"""The helm command lines envman builds, with every helm 3 / helm 4 difference in one place.

Decisions (checked against `helm <cmd> --help` of helm 3.19 and 4.3):
- Values always go on stdin as JSON (`--values -`); JSON is YAML, and YAML timestamps
  become strings exactly as helm's own YAML-to-JSON conversion makes them.
- `upgrade` always passes `--reset-values`: without it helm reuses the previous release's
  values when the new ones are empty, and envman's values must be exactly the desired ones.
- Waiting is `--wait --wait-for-jobs` on both versions (helm 4's bare `--wait` is its
  `watcher` strategy). No `--atomic` / `--rollback-on-failure`: envman rolls back itself.
- `force`: helm 3 `--force`; helm 4 renamed it `--force-replace`, which only works with
  client-side apply, hence `--server-side=false` (pyhelm3 forgets that).
- `list`: helm 4 dropped `--all`, so both versions get the explicit status flags, `--max 0`
  (no limit) and an RFC 3339 `--time-format`.
- pyhelm3's `disable_validation` is never used (it passes the flag one character at a time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from envman.plan.desired import ChartSource

VALUES_FROM_STDIN = ("--values", "-")
WAIT = ("--wait", "--wait-for-jobs")
LIST_STATUSES = ("--deployed", "--failed", "--pending", "--uninstalling", "--uninstalled")
RFC3339 = "2006-01-02T15:04:05Z07:00"
HISTORY_MAX = 10


@dataclass(frozen=True)
class HelmFlags:
    """The flags that differ between helm majors."""

    major: int
    force: tuple[str, ...]
    force_conflicts: tuple[str, ...] = ()
    """helm 4's server-side apply takes fields other managers own (a hand edit being
    repaired) only with `--force-conflicts`; helm 3's three-way merge never conflicts."""


FLAGS = {
    3: HelmFlags(3, force=("--force",)),
    4: HelmFlags(4, force=("--force-replace", "--server-side=false"), force_conflicts=("--force-conflicts",)),
}


def helm_duration(seconds: float) -> str:
    """A Go duration for helm's `--timeout`: whole seconds, else milliseconds."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


def chart_args(chart: ChartSource) -> list[str]:
    """The chart reference, then `--version` / `--repo` when given."""
    args = [chart.ref.rsplit("/", 1)[-1] if chart.repo_url else chart.ref]
    if chart.version:
        args += ["--version", chart.version]
    if chart.repo_url:
        args += ["--repo", chart.repo_url]
    return args


def label_arg(labels: Mapping[str, str]) -> str:
    """`k=v,k2=v2`, sorted: helm's `--labels` / `--selector` syntax."""
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def template_args(
    release: str, namespace: str, chart: ChartSource, *, hooks: bool = False, is_upgrade: bool = False
) -> list[str]:
    """`helm template`: without `hooks`, hooks are left out to match `helm get manifest`;
    `is_upgrade` renders as an upgrade does (`.Release.IsUpgrade`)."""
    extra = ([] if hooks else ["--no-hooks"]) + (["--is-upgrade"] if is_upgrade else [])
    return ["template", release, *chart_args(chart), "--namespace", namespace, *extra, *VALUES_FROM_STDIN]


def upgrade_args(
    flags: HelmFlags,
    release: str,
    namespace: str,
    chart: ChartSource,
    *,
    timeout: float,
    labels: Mapping[str, str],
    wait: bool,
    create_namespace: bool,
    force: bool,
    force_conflicts: bool = False,
) -> list[str]:
    """`helm upgrade --install` to exactly the values given on stdin."""
    args = [
        "upgrade",
        release,
        *chart_args(chart),
        "--install",
        "--namespace",
        namespace,
        "--history-max",
        str(HISTORY_MAX),
        "--timeout",
        helm_duration(timeout),
        "--reset-values",
        "--output",
        "json",
        *VALUES_FROM_STDIN,
    ]
    if labels:
        args += ["--labels", label_arg(labels)]
    if create_namespace:
        args.append("--create-namespace")
    if wait:
        args += WAIT
    if force:
        args += flags.force
    elif force_conflicts:
        args += flags.force_conflicts
    return args


def list_args(all_namespaces: bool, selector: Mapping[str, str] | None) -> list[str]:
    """`helm list` of every release's latest revision, whatever its status."""
    args = ["list", "--output", "json", "--max", "0", "--time-format", RFC3339, *LIST_STATUSES]
    if all_namespaces:
        args.append("--all-namespaces")
    if selector:
        args += ["--selector", label_arg(selector)]
    return args


def metadata_args(release: str, namespace: str) -> list[str]:
    """`helm get metadata`: the latest revision with chart, status and labels."""
    return ["get", "metadata", release, "--namespace", namespace, "--output", "json"]


def manifest_args(release: str, namespace: str) -> list[str]:
    """`helm get manifest` of the latest revision."""
    return ["get", "manifest", release, "--namespace", namespace]


def helm_test_args(release: str, namespace: str, timeout: float) -> list[str]:
    """`helm test` (without `--logs`: fetching pod logs can fail where the tests passed)."""
    return ["test", release, "--namespace", namespace, "--timeout", helm_duration(timeout)]
