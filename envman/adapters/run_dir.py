"""A private directory per run for what may hold a credential (helm's repository and registry
configuration), and the removal of the directories a killed run left behind.

A run's directory is `$TMPDIR/envman-run-<pid>-<start>-<random>`, made by `mkdtemp` (mode
0700) with its owner's pid and start time in its name, so another run can tell whether the
owner still runs without a file that could be missing. Files in it are written 0600.
`sweep` removes every such directory of the current user whose owner is gone (`kill -9`, a
crash); a directory of a live run is never touched, even when its pid was reused.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "envman-run-"
_log = logging.getLogger(__name__)


def make_run_dir() -> Path:
    """A new private directory of this run (remove it with `remove_run_dir`)."""
    pid = os.getpid()
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{pid}-{_start_time(pid)}-"))


def remove_run_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def write_private(path: Path, text: str) -> None:
    """Write `text` to a new file readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def sweep(folder: Path | None = None) -> list[Path]:
    """Remove the run directories in `folder` (default `$TMPDIR`) whose run is gone; those removed."""
    base = folder if folder is not None else Path(tempfile.gettempdir())
    removed = []
    try:
        entries = [e for e in os.scandir(base) if e.name.startswith(PREFIX)]
    except OSError:
        return []
    for entry in entries:
        owner = _owner(entry.name)
        if owner is None or _alive(*owner) or not _ours(entry):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        _log.info("removed %s, left by a run that no longer runs (pid %d)", entry.path, owner[0])
        removed.append(Path(entry.path))
    return removed


def _ours(entry: os.DirEntry[str]) -> bool:
    """A real directory (not a symlink) of the current user."""
    try:
        return entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid()
    except OSError:
        return False


def _owner(name: str) -> tuple[int, str] | None:
    pid, _, rest = name.removeprefix(PREFIX).partition("-")
    start = rest.partition("-")[0]
    return (int(pid), start) if pid.isdigit() and start.isdigit() else None


def _alive(pid: int, start: str) -> bool:
    """Process `pid` runs and is the one that started at `start` (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _start_time(pid) == start


def _start_time(pid: int) -> str:
    """When `pid` started (clock ticks since boot, from /proc; "0" where there is no /proc);
    "" for a process that has exited and waits to be reaped (a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "0"
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return ""
    return fields[19]
