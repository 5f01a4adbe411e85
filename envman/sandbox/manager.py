"""The sandbox manager: start, reuse, inspect, break and stop the background sandboxes.

Each environment's sandbox is one background process; several run side by side. State lives
in `<root>/.envman/sandbox/`: `kubeconfig` (every running environment's clusters, one context
each) and, per environment, `envs/<ENV>/` with `state.json` (pid, admin port, cluster ports),
the process's own `kubeconfig` and `sandbox.log`; `up` writes `<root>/.envman/.gitignore`
(`*`) so none of it shows in the user's repository. Every function talks to the running
processes over their loopback admin ports; `up` and `down` hold `.lock` while they change
which processes run and rewrite the shared kubeconfig.
"""

from __future__ import annotations

import contextlib
import fcntl
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envman.kit.suggest import did_you_mean
from envman.sandbox import kubeconfig
from envman.sandbox.argocd.hub import HubSettings
from envman.sandbox.controllers.failures import DEFAULT_MODE, MODES
from envman.sandbox.errors import SandboxError
from envman.sandbox.server import DEFAULT_READY_DELAY, HOST

STATE_DIR = Path(".envman") / "sandbox"
DEFAULT_ENVIRONMENT = "sandbox"
"""The environment name of a sandbox started without one (tests, benchmarks)."""
START_TIMEOUT = 20.0
_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class SandboxInfo:
    """A running sandbox of one environment, as `up` returns it (`kubeconfig`: the shared one)."""

    kubeconfig: Path
    pid: int
    admin_port: int
    clusters: dict[str, int]
    reused: bool
    environment: str = DEFAULT_ENVIRONMENT

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
class EnvironmentStatus:
    """The sandbox of one environment; `running` is False when its process is gone."""

    name: str
    running: bool
    pid: int | None
    clusters: tuple[ClusterStatus, ...]


@dataclass(frozen=True)
class SandboxStatus:
    """What `status` reports: every environment with a sandbox, and the shared kubeconfig."""

    kubeconfig: Path
    environments: tuple[EnvironmentStatus, ...]

    @property
    def running(self) -> bool:
        return any(e.running for e in self.environments)

    @property
    def clusters(self) -> tuple[ClusterStatus, ...]:
        return tuple(c for e in self.environments for c in e.clusters)


def state_dir(root: Path) -> Path:
    """Where the sandboxes of the repository at `root` keep their state (absolute)."""
    return Path(root).resolve() / STATE_DIR


def env_dir(root: Path, environment: str) -> Path:
    """Where the sandbox of one environment keeps its state."""
    return state_dir(root) / "envs" / environment


def environments(root: Path) -> list[str]:
    """The environments with sandbox state (running or not), sorted."""
    envs = state_dir(root) / "envs"
    return sorted(p.parent.name for p in envs.glob("*/state.json")) if envs.is_dir() else []


def _read(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _state(root: Path, environment: str) -> dict[str, Any] | None:
    return _read(env_dir(root, environment) / "state.json")


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


def _live(root: Path, environment: str) -> dict[str, Any] | None:
    """The state of the environment's sandbox if its process is alive and answering, else None."""
    state = _state(root, environment)
    if state is None or not _pid_alive(int(state.get("pid", 0))):
        return None
    try:
        _http(int(state["admin_port"]), "/status", timeout=1.0)
    except (OSError, ValueError, KeyError):
        return None
    return state


def _live_states(root: Path) -> dict[str, dict[str, Any]]:
    """Every environment whose sandbox is alive and answering, with its state."""
    found = {env: _live(root, env) for env in environments(root)}
    return {env: state for env, state in found.items() if state is not None}


def _info(root: Path, environment: str, state: dict[str, Any], reused: bool) -> SandboxInfo:
    return SandboxInfo(
        state_dir(root) / "kubeconfig",
        int(state["pid"]),
        int(state["admin_port"]),
        {k: int(v) for k, v in state["clusters"].items()},
        reused,
        environment,
    )


def _check_names(clusters: Sequence[str], environment: str) -> list[str]:
    if not _NAME.match(environment):
        raise SandboxError(f"invalid environment name {environment!r} for a sandbox")
    names = list(dict.fromkeys(clusters))
    if not names:
        raise SandboxError("a sandbox needs at least one cluster")
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise SandboxError(f"invalid cluster name {bad[0]!r} for a sandbox")
    return names


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold the sandbox lock of `root` (one `up` or `down` at a time changes what runs)."""
    directory = state_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def up(
    root: Path,
    clusters: Sequence[str],
    *,
    environment: str = DEFAULT_ENVIRONMENT,
    ready_delay: float = DEFAULT_READY_DELAY,
    hub: HubSettings | None = None,
) -> SandboxInfo:
    """Serve the clusters of `environment` from one background process, next to the sandboxes
    of other environments (reusing a live one serving the same set), and add them to the
    shared kubeconfig, whose current context becomes the environment's first cluster.

    With `hub`, the process also serves an emulated Argo CD hub as one more cluster and
    context, `hub.context`, with a cluster Secret for each of `hub.destinations` (Argo CD
    cluster name -> one of `clusters`; default: each cluster under its own name)."""
    names = _check_names(clusters, environment)
    served = _with_hub(names, hub, environment)
    wanted_hub = hub.to_json() if hub else None
    _ignore_state(root)
    with _locked(root):
        _stop_legacy(root)
        live = _live(root, environment)
        if live is not None and sorted(live["clusters"]) == sorted(served) and live.get("hub") == wanted_hub:
            info = _info(root, environment, live, reused=True)
        else:
            _stop(root, environment)
            _check_free(root, environment, served)
            info = _start(root, environment, names, ready_delay, wanted_hub)
        _write_kubeconfig(root, current=names[0])
    return info


def _with_hub(names: list[str], hub: HubSettings | None, environment: str) -> list[str]:
    """Every cluster the process serves: `names` and the hub's context."""
    if hub is None:
        return names
    _check_names([hub.context], environment)
    if hub.context in names:
        raise SandboxError(f"the Argo CD hub's context {hub.context!r} is also a cluster of the environment")
    try:
        hub.destinations_among(dict.fromkeys(names))
    except ValueError as exc:
        raise SandboxError(str(exc)) from exc
    return [*names, hub.context]


def _check_free(root: Path, environment: str, names: list[str]) -> None:
    """Refuse clusters another environment's sandbox already serves (one context each)."""
    for other, state in _live_states(root).items():
        taken = sorted(set(names) & set(state["clusters"]))
        if other != environment and taken:
            raise SandboxError(
                f"cluster {taken[0]!r} is already served by the sandbox of environment {other!r} "
                f"(stop it first: envman sandbox down {other})"
            )


def _start(
    root: Path, environment: str, names: list[str], ready_delay: float, hub: dict[str, Any] | None
) -> SandboxInfo:
    directory = env_dir(root, environment)
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
        *(["--hub", json.dumps(hub)] if hub else []),
    ]
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
        )
    state = _wait_started(root, environment, process, token, log_file)
    return _info(root, environment, state, reused=False)


def _write_kubeconfig(root: Path, current: str | None = None) -> None:
    """The shared kubeconfig: the clusters of every running environment, by environment name;
    the current context stays unless `current` is given or it is gone (no file without any)."""
    path = state_dir(root) / "kubeconfig"
    ports = {
        name: int(port)
        for _, state in sorted(_live_states(root).items())
        for name, port in state["clusters"].items()
    }
    if not ports:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    if current not in ports:
        current = kubeconfig.current_context(path)
    kubeconfig.write(path, ports, current if current in ports else None)


def _ignore_state(root: Path) -> None:
    """Keep `.envman/` out of the user's git repository (README, Sandbox)."""
    directory = state_dir(root).parent
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")


def _wait_started(
    root: Path, environment: str, process: subprocess.Popen[bytes], token: str, log_file: Path
) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_file.read_text(errors="replace").strip().splitlines()[-1:]
            raise SandboxError(
                f"the sandbox process exited with code {process.returncode}"
                + (f": {tail[0]}" if tail else "")
            )
        state = _state(root, environment)
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


def _stop(root: Path, environment: str) -> bool:
    """Stop one environment's process and forget its state; True when it was running."""
    state = _state(root, environment)
    if state is None:
        return False
    pid = int(state.get("pid", 0))
    running = pid > 0 and _pid_alive(pid) and _is_ours(pid)
    if running:
        _terminate(pid)
    with contextlib.suppress(FileNotFoundError):
        (env_dir(root, environment) / "state.json").unlink()
    return running


def _stop_legacy(root: Path) -> None:
    """Stop a sandbox an older envman started (one process, `state.json` at the top)."""
    legacy = state_dir(root) / "state.json"
    state = _read(legacy)
    if state is not None and int(state.get("pid", 0)) > 0:
        _terminate(int(state["pid"]))
    with contextlib.suppress(FileNotFoundError):
        legacy.unlink()


def down(root: Path, environment: str | None = None) -> list[str]:
    """Stop the sandbox of `environment`, or every sandbox of `root`; the environments whose
    process was running. The shared kubeconfig keeps the clusters of those still running."""
    with _locked(root):
        if environment is None:
            _stop_legacy(root)
        names = environments(root) if environment is None else [environment]
        stopped = [name for name in names if _stop(root, name)]
        _write_kubeconfig(root)
    return stopped


def status(root: Path) -> SandboxStatus:
    """Every environment's sandbox: its clusters, their ports, whether they answer, what fails."""
    return SandboxStatus(
        state_dir(root) / "kubeconfig", tuple(_environment_status(root, env) for env in environments(root))
    )


def _environment_status(root: Path, environment: str) -> EnvironmentStatus:
    state = _state(root, environment) or {}
    live = _live(root, environment)
    if live is None:
        pid = int(state["pid"]) if "pid" in state else None
        ports = state.get("clusters", {})
        clusters = tuple(ClusterStatus(n, int(p), False, (), 0) for n, p in ports.items())
        return EnvironmentStatus(environment, False, pid, clusters)
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
    return EnvironmentStatus(environment, True, int(live["pid"]), clusters)


def served(root: Path) -> dict[str, str]:
    """The clusters the running sandboxes serve, each with its environment."""
    return {name: env for env, state in _live_states(root).items() for name in state["clusters"]}


def environment_of(root: Path, cluster: str) -> str:
    """The environment whose running sandbox serves `cluster` (an error naming the closest
    cluster when none does)."""
    return _environment(root, _live_states(root), cluster)


def _environment(root: Path, live: dict[str, dict[str, Any]], cluster: str) -> str:
    if not live:
        raise SandboxError(f"no sandbox is running for {root} (run `envman sandbox up ENV`)")
    for env, state in live.items():
        if cluster in state["clusters"]:
            return env
    known = [name for state in live.values() for name in state["clusters"]]
    raise SandboxError(f"the sandbox has no cluster {cluster!r}{did_you_mean(cluster, known)}")


def _serving(root: Path, cluster: str) -> dict[str, Any]:
    """The state of the running sandbox that serves `cluster`."""
    live = _live_states(root)
    return live[_environment(root, live, cluster)]


def fail(root: Path, cluster: str, app: str | None = None, mode: str = DEFAULT_MODE) -> None:
    """From now on, pods of pod templates new in `cluster` (of release `app`, or all) fail
    in `mode` (one of `MODES`); pods of templates known before start as usual."""
    if mode not in MODES:
        raise SandboxError(f"unknown failure mode {mode!r} (expected one of {', '.join(MODES)})")
    _admin(_serving(root, cluster), "/fail", {"cluster": cluster, "app": app, "mode": mode})


def heal(root: Path, cluster: str) -> None:
    """Undo `fail` for `cluster`: failing pods that have not terminated start, new pods start normally."""
    _admin(_serving(root, cluster), "/heal", {"cluster": cluster})


def _running(root: Path) -> list[dict[str, Any]]:
    live = list(_live_states(root).values())
    if not live:
        raise SandboxError(f"no sandbox is running for {root} (run `envman sandbox up ENV`)")
    return live


def counters(root: Path) -> dict[str, dict[str, int]]:
    """API requests served per cluster (`total` and per verb) since start or reset."""
    result: dict[str, dict[str, int]] = {}
    for state in _running(root):
        result.update(_admin(state, "/counters"))
    return result


def reset_counters(root: Path) -> None:
    for state in _running(root):
        _admin(state, "/counters/reset", {})
