"""A run's private directory (0700, files 0600, named after its owner) and the sweep that
removes those of runs that are gone, never a live run's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from envman.adapters import run_dir


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(run_dir.tempfile, "tempdir", str(tmp_path))
    return tmp_path


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_run_directory_is_private_and_names_its_owner(tmp: Path) -> None:
    made = run_dir.make_run_dir()
    assert made.parent == tmp and made.stat().st_mode & 0o777 == 0o700
    assert made.name.startswith(f"envman-run-{os.getpid()}-")
    run_dir.write_private(made / "repositories.yaml", "password: x")
    assert (made / "repositories.yaml").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        run_dir.write_private(made / "repositories.yaml", "again")
    assert run_dir.sweep() == [], "a live run's directory is kept"
    run_dir.remove_run_dir(made)
    assert not made.exists()


def test_the_sweep_removes_only_directories_of_runs_that_are_gone(tmp: Path) -> None:
    own_start = run_dir.make_run_dir().name.split("-")[3]
    gone = tmp / f"envman-run-{dead_pid()}-{own_start}-abc"
    reused = tmp / f"envman-run-{os.getpid()}-1-abc"  # this pid, another start time: a reused pid
    live = tmp / f"envman-run-{os.getpid()}-{own_start}-def"
    malformed = tmp / "envman-run-notapid-abc"
    other = tmp / "envman-helm-abc"
    for folder in (gone, reused, live, malformed, other):
        folder.mkdir()
        (folder / "repositories.yaml").write_text("password: x")
    target = tmp / "precious"
    target.mkdir()
    link = tmp / f"envman-run-{dead_pid()}-1-link"
    link.symlink_to(target)
    assert sorted(run_dir.sweep()) == sorted([gone, reused])
    assert not gone.exists() and not reused.exists()
    assert live.exists() and malformed.exists() and other.exists() and link.is_symlink() and target.exists()
