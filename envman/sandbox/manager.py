"""The sandbox manager: start, reuse, inspect, break and stop the background sandbox.

State lives in `<root>/.envman/sandbox/`: `state.json` (pid, admin port, cluster ports),
`kubeconfig` and `sandbox.log`; `up` writes `<root>/.envman/.gitignore` (`*`) so none of it
shows in the user's repository. Every function talks to the running process over its
loopback admin port.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envman.sandbox.argocd.hub import HubSettings
from envman.sandbox.controllers.failures import DEFAULT_MODE, MODES
from envman.sandbox.errors import SandboxError
from envman.sandbox.server import DEFAULT_READY_DELAY, HOST

STATE_DIR = Path(".envman") / "sandbox"
START_TIMEOUT = 20.0
_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class SandboxInfo:
    """A running sandbox, as `up` returns it."""

    kubeconfig: Path
    pid: int
    admin_port: int
    clusters: dict[str, int]
    reused: bool

    @property
    def export_line(self) -> str:
        return f"export KUBECONFIG={self.kubeconfig}"


@dataclass(frozen=True)
class Failing:
    """An app made to fail (None: every app of the cluster) and its failure mode."""

    app: str | None
    mode: str


@dataclass(frozen=True)
class ClusterStatus:
    """One cluster of a sandbox: its port, whether it answers, the apps made to fail."""

    name: str
    port: int
    alive: bool
    failing: tuple[Failing, ...]
    requests: int


@dataclass(frozen=True)
class SandboxStatus:
    """What `status` reports; `running` is False when no live sandbox exists."""

    running: bool
    pid: int | None
    kubeconfig: Path
    clusters: tuple[ClusterStatus, ...]


def state_dir(root: Path) -> Path:
    """Where the sandbox of the repository at `root` keeps its state (absolute)."""
    return Path(root).resolve() / STATE_DIR


def _state(root: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((state_dir(root) / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_ours(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"envman.sandbox.daemon" in cmdline


def _http(port: int, path: str, body: dict[str, Any] | None = None, timeout: float = 2.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}", data=data, method="GET" if body is None else "POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def _admin(state: dict[str, Any], path: str, body: dict[str, Any] | None = None) -> Any:
    try:
        return _http(int(state["admin_port"]), path, body)
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise SandboxError(f"sandbox refused {path}: {detail}") from exc
    except (OSError, ValueError, KeyError) as exc:
        raise SandboxError(f"the sandbox is not answering ({exc})") from exc


def _live(root: Path) -> dict[str, Any] | None:
    """The state of a sandbox whose process is alive and answering, else None."""
    state = _state(root)
    if state is None or not _pid_alive(int(state.get("pid", 0))):
        return None
    try:
        _http(int(state["admin_port"]), "/status", timeout=1.0)
    except (OSError, ValueError, KeyError):
        return None
    return state


def _info(state: dict[str, Any], reused: bool) -> SandboxInfo:
    return SandboxInfo(
        Path(state["kubeconfig"]),
        int(state["pid"]),
        int(state["admin_port"]),
        {k: int(v) for k, v in state["clusters"].items()},
        reused,
    )


def _check_names(clusters: Sequence[str]) -> list[str]:
    names = list(dict.fromkeys(clusters))
    if not names:
        raise SandboxError("a sandbox needs at least one cluster")
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise SandboxError(f"invalid cluster name {bad[0]!r} for a sandbox")
    return names


def up(
    root: Path,
    clusters: Sequence[str],
    *,
    ready_delay: float = DEFAULT_READY_DELAY,
    hub: HubSettings | None = None,
) -> SandboxInfo:
    """Serve `clusters` from one background process; reuse a live one serving the same set.

    With `hub`, the process also serves an emulated Argo CD hub as one more cluster and
    context, `hub.context`, with a cluster Secret for each of `hub.destinations` (Argo CD
    cluster name -> one of `clusters`; default: each cluster under its own name)."""
    names = _check_names(clusters)
    served = _with_hub(names, hub)
    _ignore_state(root)
    live = _live(root)
    wanted_hub = hub.to_json() if hub else None
    if live is not None and sorted(live["clusters"]) == sorted(served) and live.get("hub") == wanted_hub:
        return _info(live, reused=True)
    down(root)
    directory = state_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    state_file, log_file = directory / "state.json", directory / "sandbox.log"
    command = [
        sys.executable,
        "-m",
        "envman.sandbox.daemon",
        str(state_file),
        str(directory / "kubeconfig"),
        *names,
        "--ready-delay",
        str(ready_delay),
        "--token",
        token,
        *(["--hub", json.dumps(wanted_hub)] if wanted_hub else []),
    ]
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
        )
    state = _wait_started(root, process, token, log_file)
    return _info(state, reused=False)


def _with_hub(names: list[str], hub: HubSettings | None) -> list[str]:
    """Every cluster the process serves: `names` and the hub's context."""
    if hub is None:
        return names
    _check_names([hub.context])
    if hub.context in names:
        raise SandboxError(f"the Argo CD hub's context {hub.context!r} is also a cluster of the environment")
    try:
        hub.destinations_among(dict.fromkeys(names))
    except ValueError as exc:
        raise SandboxError(str(exc)) from exc
    return [*names, hub.context]


def _ignore_state(root: Path) -> None:
    """Keep `.envman/` out of the user's git repository (README, Sandbox)."""
    directory = state_dir(root).parent
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")


def _wait_started(root: Path, process: subprocess.Popen[bytes], token: str, log_file: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_file.read_text(errors="replace").strip().splitlines()[-1:]
            raise SandboxError(
                f"the sandbox process exited with code {process.returncode}"
                + (f": {tail[0]}" if tail else "")
            )
        state = _state(root)
        if state is not None and state.get("token") == token and _answers(state):
            return state
        time.sleep(0.05)
    _terminate(process.pid)
    raise SandboxError(f"the sandbox did not start within {START_TIMEOUT:.0f}s (see {log_file})")


def _answers(state: dict[str, Any]) -> bool:
    try:
        for port in state["clusters"].values():
            _http(int(port), "/version", timeout=1.0)
    except (OSError, ValueError):
        return False
    return True


def _terminate(pid: int) -> None:
    if not (_pid_alive(pid) and _is_ours(pid)):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _pid_alive(pid) and _is_ours(pid):
        time.sleep(0.05)
    if _pid_alive(pid) and _is_ours(pid):
        os.kill(pid, signal.SIGKILL)


def down(root: Path) -> bool:
    """Stop the sandbox of `root`; True when a process was running."""
    state = _state(root)
    if state is None:
        return False
    pid = int(state.get("pid", 0))
    running = pid > 0 and _pid_alive(pid) and _is_ours(pid)
    if running:
        _terminate(pid)
    with contextlib.suppress(FileNotFoundError):
        (state_dir(root) / "state.json").unlink()
    return running


def status(root: Path) -> SandboxStatus:
    """Which clusters the sandbox serves, on which ports, whether they answer, what fails."""
    kubeconfig = state_dir(root) / "kubeconfig"
    state = _state(root)
    live = _live(root)
    if state is None or live is None:
        pid = int(state["pid"]) if state else None
        ports = (state or {}).get("clusters", {})
        clusters = tuple(ClusterStatus(n, int(p), False, (), 0) for n, p in ports.items())
        return SandboxStatus(False, pid, kubeconfig, clusters)
    report = _admin(live, "/status")
    counts = _admin(live, "/counters")
    clusters = tuple(
        ClusterStatus(
            name,
            int(info["port"]),
            _answers({"clusters": {name: info["port"]}}),
            tuple(Failing(f.get("app"), str(f["mode"])) for f in info["failing"]),
            int(counts.get(name, {}).get("total", 0)),
        )
        for name, info in report["clusters"].items()
    )
    return SandboxStatus(True, int(live["pid"]), kubeconfig, clusters)


def _running(root: Path) -> dict[str, Any]:
    live = _live(root)
    if live is None:
        raise SandboxError(f"no sandbox is running for {root} (run `envman sandbox up`)")
    return live


def _known(state: dict[str, Any], cluster: str) -> None:
    if cluster not in state["clusters"]:
        known = ", ".join(sorted(state["clusters"]))
        raise SandboxError(f"the sandbox has no cluster {cluster!r} (it has {known})")


def fail(root: Path, cluster: str, app: str | None = None, mode: str = DEFAULT_MODE) -> None:
    """From now on, pods of pod templates new in `cluster` (of release `app`, or all) fail
    in `mode` (one of `MODES`); pods of templates known before start as usual."""
    if mode not in MODES:
        raise SandboxError(f"unknown failure mode {mode!r} (expected one of {', '.join(MODES)})")
    state = _running(root)
    _known(state, cluster)
    _admin(state, "/fail", {"cluster": cluster, "app": app, "mode": mode})


def heal(root: Path, cluster: str) -> None:
    """Undo `fail` for `cluster`: failing pods that have not terminated start, new pods start normally."""
    state = _running(root)
    _known(state, cluster)
    _admin(state, "/heal", {"cluster": cluster})


def counters(root: Path) -> dict[str, dict[str, int]]:
    """API requests served per cluster (`total` and per verb) since start or reset."""
    result: dict[str, dict[str, int]] = _admin(_running(root), "/counters")
    return result


def reset_counters(root: Path) -> None:
    _admin(_running(root), "/counters/reset", {})
