"""Text a cluster, a chart, helm or a gate holds reaches no terminal, log or CI annotation
live, end to end: a release record whose chart name, version and description, a manifest
object's name and a verification record's time carry every control class (`status`,
`history`, `plan`, `diff`), and a gate whose output does (sync's log lines with `CI=1`,
GitHub Actions, the live view in a real terminal). JSON keeps the exact text."""

from __future__ import annotations

import base64
import gzip
import json
import os
import shlex
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from kubernetes import client, config

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.state import RecordSite, write_verification
from envman.adapters.target import ClusterTarget, KubeTarget
from envman.plan.cluster_state import WaveVerification
from tests.e2e.conftest import SECRETS, Fleet, fast
from tests.e2e.test_progress_output import _PASSED_ON, Tmux, _wait_for
from tests.e2e.test_sync import ENVMAN
from tests.hostile import ONE_LINE, PAYLOAD, assert_inert, commands_other_than

pytestmark = pytest.mark.helm
one_helm = pytest.mark.parametrize("helm_binary", ["helm4"], indirect=True)
CANARY = "prod-use1-canary"
VIEWS = (
    ("status", "prod"),
    ("history", "prod", "--app", "api"),
    ("plan", "prod"),
    ("diff", "prod"),
)


def _core(prod: Fleet, cluster: str) -> client.CoreV1Api:
    api = config.new_client_from_config(config_file=str(prod.sandbox.kubeconfig), context=cluster)
    return client.CoreV1Api(api)


def _tamper_release(prod: Fleet, cluster: str, release: str, namespace: str) -> None:
    """Rewrite helm's record of `release`, as anyone who can write Secrets there could:
    hostile chart name, version, app version and description, and a manifest object whose
    name is hostile."""
    core = _core(prod, cluster)
    secret = next(
        s
        for s in core.list_namespaced_secret(namespace, label_selector=f"owner=helm,name={release}").items
        if s.metadata.labels.get("status") == "deployed"
    )
    doc: dict[str, Any] = json.loads(
        gzip.decompress(base64.b64decode(base64.b64decode(secret.data["release"])))
    )
    meta = doc["chart"]["metadata"]
    meta["name"], meta["version"], meta["appVersion"] = ONE_LINE, f"9.9.9{ONE_LINE}", ONE_LINE
    doc["info"]["description"] = PAYLOAD
    extra = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": ONE_LINE}, "data": {"x": PAYLOAD}}
    doc["manifest"] += "\n---\n" + json.dumps(extra) + "\n"
    encoded = base64.b64encode(base64.b64encode(gzip.compress(json.dumps(doc).encode()))).decode()
    core.patch_namespaced_secret(secret.metadata.name, namespace, {"data": {"release": encoded}})


def _hostile_cluster(prod: Fleet) -> None:
    prod.apply(CANARY)
    _tamper_release(prod, CANARY, "api", "api")
    target = ClusterTarget(CANARY, KubeTarget(prod.sandbox.kubeconfig, CANARY))
    site = RecordSite.in_cluster(target, "prod")
    write_verification(KubeClients(), site, WaveVerification("canary", PAYLOAD, {"api": "x"}))


def _check(result: Result, *, github: tuple[str, ...] | None = None) -> str:
    """The command's output, checked: inert; with `github`, the only workflow commands the
    runner would execute are those."""
    output = result.output
    assert "Traceback" not in output, output
    assert_inert(output)
    if github is not None:
        assert commands_other_than(output, github) == [], output
    return output


@one_helm
def test_status_history_plan_and_diff_show_cluster_text_inert(
    prod: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hostile_cluster(prod)
    for argv in VIEWS:
        shown = _check(prod.envman(*argv, "--cluster", CANARY))
        assert "hostile<" in shown, (argv, shown)  # the text is shown, inert
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for argv in VIEWS:
        _check(prod.envman(*argv, "--cluster", CANARY), github=())
    monkeypatch.delenv("GITHUB_ACTIONS")
    status = json.loads(prod.envman("status", "prod", "--cluster", CANARY, "-o", "json").stdout)
    api = next(r for r in status["releases"] if r["app"] == "api")
    assert api["version"] == f"9.9.9{ONE_LINE}"  # JSON: the exact text, escaped
    assert PAYLOAD in {c for w in status["waves"] for c in w["clusters"].values()}
    history = json.loads(
        prod.envman("history", "prod", "--app", "api", "--cluster", CANARY, "-o", "json").stdout
    )
    assert history[0]["revisions"][-1]["chart"] == ONE_LINE
    plan = json.loads(prod.envman("plan", "prod", "--cluster", CANARY, "-o", "json").stdout)
    assert any(
        d["name"] == ONE_LINE
        for w in plan["waves"]
        for c in w["clusters"]
        for r in c["releases"]
        for d in r["drift"]
    )


def _hostile_gate(prod: Fleet) -> None:
    """The command gate prints every control class and workflow commands, then fails."""
    octal = "".join(f"\\{ord(c):03o}" if ord(c) < 0x80 else c for c in PAYLOAD)
    (prod.root / "scripts" / "smoke.sh").write_text(
        f"#!/bin/sh\nprintf '%b\\n' {shlex.quote(octal)}\nexit 1\n"
    )


@one_helm
def test_a_gates_output_reaches_ci_log_lines_and_github_actions_inert(
    prod: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast(prod)
    _hostile_gate(prod)
    monkeypatch.setenv("CI", "1")
    ci = prod.envman("sync", "prod")
    assert ci.exit_code == 3, ci.output
    assert "hostile<" in _check(ci)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    github = prod.envman("sync", "prod")
    assert github.exit_code == 3, github.output
    log = _check(github, github=("group", "endgroup", "error"))
    assert any(line.startswith("::error title=gate command") for line in log.splitlines())


def _hostile_object(prod: Fleet) -> None:
    """The api chart gains a ConfigMap whose name carries every control class: the API server
    rejects it, and its message (helm's error) names it."""
    template = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": ONE_LINE}, "data": {"a": "b"}}
    (prod.root / "charts" / "api" / "templates" / "hostile.yaml").write_text(json.dumps(template) + "\n")


@one_helm
def test_helms_error_reaches_the_live_view_inert(prod: Fleet, tmp_path: Path) -> None:
    """The live view in tmux: every byte the terminal got is kept (`pipe-pane`), and none of
    the sequences the rejected name carries (a title, the clipboard, a clear-screen, a reset)
    is among them."""
    fast(prod)
    _hostile_object(prod)
    env = (
        {name: os.environ[name] for name in _PASSED_ON if name in os.environ} | SECRETS | {"LANG": "C.UTF-8"}
    )
    argv = [
        str(ENVMAN),
        "-C",
        str(prod.root),
        "--kubeconfig",
        str(prod.sandbox.kubeconfig),
        "sync",
        "prod",
        "--yes",
    ]
    rc, raw = tmp_path / "rc", tmp_path / "raw"
    script = tmp_path / "run.sh"
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
    script.write_text(
        f"unset CI GITHUB_ACTIONS NO_COLOR\n{exports}sleep 1\n{shlex.join(argv)}\necho $? > {rc}\nexec sleep 600\n"
    )
    terminal = Tmux(tmp_path, 100, 30)
    try:
        terminal.start(script)
        terminal.pipe(raw)
        code = _wait_for(lambda: rc.read_text().strip() if rc.exists() else None, 180, "the end of the sync")
        time.sleep(0.3)
        title = terminal.title()
        history = "\n".join(terminal.screen(history=True))
    finally:
        terminal.close()
    assert code == "3", history
    assert "hostile<" in history and "pwned" not in title, history
    received = raw.read_bytes()
    assert b"hostile<" in received
    for sequence in (
        b"\x1b]",
        b"\x1bP",
        b"\x1bX",
        b"\x1b^",
        b"\x1b_",
        b"\x1bc",
        b"\x1b[2J",
        b"\x07",
        b"\xc2\x9b",
    ):
        assert sequence not in received, sequence
