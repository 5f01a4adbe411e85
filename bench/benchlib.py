"""Shared helpers of the benchmark scripts: a throwaway copy of the example, private helm
homes, a counting helm wrapper, timed subprocesses and a plain-text result table.

Nothing here writes outside a temporary directory that is removed on exit.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PARTS = ("environments", "charts", "values", "scripts")
VENV_BIN = REPO / ".venv" / "bin"
ENVMAN = VENV_BIN / "envman"
HELMS = {"helm4": VENV_BIN / "helm", "helm3": VENV_BIN / "helm3"}
PROD_CLUSTERS = ("prod-use1-canary", "prod-use1", "prod-euw1", "prod-euw1-b", "prod-apse1")
SECRETS = {"API_DB_PASSWORD": "bench-api-secret", "POSTGRES_PASSWORD": "bench-pg-secret"}


@dataclass
class Workspace:
    """A writable copy of the example with its own helm homes and a counting helm wrapper."""

    tmp: Path
    root: Path
    helm: Path
    """The wrapper: appends a line to `counter` then execs the real helm."""
    real_helm: Path
    counter: Path
    env: dict[str, str]

    def helm_processes(self) -> int:
        return len(self.counter.read_text().splitlines()) if self.counter.exists() else 0

    def reset_helm_processes(self) -> None:
        self.counter.write_text("")

    def envman(self, kubeconfig: Path, *args: str, check: bool = True) -> Run:
        """Run `.venv/bin/envman` in a subprocess."""
        argv = [str(ENVMAN), "--no-color", "-C", str(self.root), "--kubeconfig", str(kubeconfig), *args]
        return timed(argv, self.env, check=check)


@contextmanager
def workspace(real_helm: Path) -> Iterator[Workspace]:
    """A temporary copy of the bundled example, tmp HELM_*_HOME, the secrets, ENVMAN_HELM = wrapper."""
    if not real_helm.exists():
        raise SystemExit(f"{real_helm} is missing: run scripts/setup")
    with tempfile.TemporaryDirectory(prefix="envman-bench-") as name:
        tmp = Path(name)
        root = tmp / "repo"
        for part in EXAMPLE_PARTS:
            shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns(".envman"))
        counter = tmp / "helm-processes"
        counter.write_text("")
        bindir = tmp / "bin"
        bindir.mkdir()
        wrapper = bindir / "helm"
        wrapper.write_text(f'#!/bin/sh\necho "$1" >> "{counter}"\nexec "{real_helm}" "$@"\n')
        wrapper.chmod(0o755)
        env = dict(os.environ)
        env.update(SECRETS)
        for home in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            env[home] = str(tmp / home.lower())
        env["ENVMAN_HELM"] = str(wrapper)
        env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
        env["NO_COLOR"] = "1"
        yield Workspace(tmp, root, wrapper, real_helm, counter, env)


@dataclass(frozen=True)
class Run:
    seconds: float
    stdout: str
    returncode: int
    max_rss_mib: float
    """Peak resident memory of the process (or of its largest waited-for child, if larger)."""
    cpu_seconds: float = 0.0
    """CPU time (user + system) of the process and its waited-for children: unlike the wall
    time, barely moved by other work on the machine."""


GNU_TIME = Path("/usr/bin/time")
"""Measures a command's peak RSS from a small process. A process spawned straight from this
one (which may hold an in-process sandbox of hundreds of MiB) inherits its memory until it
execs, and the kernel reports that as the child's peak too."""


def timed(
    argv: Sequence[str], env: Mapping[str, str], *, stdin: str | None = None, check: bool = True
) -> Run:
    """Run argv to completion; fails loudly with its stderr when it exits non-zero and `check`.
    The peak RSS is that of the command or its largest child (through GNU time when present)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile() as rss,
    ):
        command = [str(GNU_TIME), "-f", "%M", "-o", rss.name, *argv] if GNU_TIME.exists() else list(argv)
        start = time.perf_counter()
        process = subprocess.Popen(command, env=dict(env), stdin=subprocess.PIPE, stdout=out, stderr=err)
        assert process.stdin is not None
        if stdin is not None:
            process.stdin.write(stdin.encode())
        process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
        peak_kib = int(Path(rss.name).read_text().split()[-1]) if GNU_TIME.exists() else usage.ru_maxrss
    if check and process.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... exited {process.returncode}:\n{stderr[-3000:]}")
    return Run(seconds, stdout, process.returncode, peak_kib / 1024, usage.ru_utime + usage.ru_stime)


@dataclass(frozen=True)
class Stats:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        return cls(statistics.median(samples), min(samples), max(samples))

    def seconds(self) -> str:
        return f"{self.median:.2f} s ({self.low:.2f}-{self.high:.2f})"

    def count(self) -> str:
        if self.low == self.high:
            return f"{self.median:g}"
        return f"{self.median:g} ({self.low:g}-{self.high:g})"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (pastes straight into BENCHMARKS.md)."""
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def machine() -> str:
    """One line: cores, Python, helm versions."""
    import platform

    versions = []
    for name, path in HELMS.items():
        if path.exists():
            out = subprocess.run(
                [str(path), "version", "--short"], capture_output=True, text=True, check=False
            )
            versions.append(f"{name} {out.stdout.strip()}")
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, " + ", ".join(versions)


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system, every thread) used so far by process `pid` (default: this one,
    which is the sandbox's when the benchmark serves it in-process and only waits itself)."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuShare:
    """The CPU a process used over a stretch of wall time, as a share of one core."""

    pid: int | None = None
    cpu: float = 0.0
    wall: float = 0.0

    @contextmanager
    def measuring(self) -> Iterator[None]:
        """Add the CPU and wall time of the `with` block to the totals."""
        cpu, wall = cpu_seconds(self.pid), time.perf_counter()
        try:
            yield
        finally:
            self.cpu += cpu_seconds(self.pid) - cpu
            self.wall += time.perf_counter() - wall

    def percent(self) -> str:
        share = 100 * self.cpu / self.wall if self.wall else 0.0
        return f"{share:.1f} % of a core ({self.cpu:.2f} s CPU in {self.wall:.1f} s)"


def api(sandbox: Any, cluster: str, method: str, path: str, body: Any = None) -> Any:
    """One JSON request to a sandbox cluster's API (`sandbox`: a RunningSandbox)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sandbox.server(cluster) + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")
