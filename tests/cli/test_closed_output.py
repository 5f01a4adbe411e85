"""A reader that goes away (`envman ... | head -1`) never makes a command fail, and the
interpreter's exit flush prints no `Exception ignored ... BrokenPipeError`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENVMAN = Path(sys.executable).parent / "envman"


def test_a_closed_stdout_leaves_the_exit_code_and_stderr_clean() -> None:
    reader, writer = os.pipe()
    os.close(reader)  # gone before envman writes its first byte
    try:
        done = subprocess.run(
            [str(ENVMAN), "schema"], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60, check=False
        )
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_closed_stderr_keeps_the_exit_code_of_a_failing_command(tmp_path: Path) -> None:
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [str(ENVMAN), "-C", str(tmp_path), "validate", "nowhere"],
            stdout=subprocess.PIPE,
            stderr=writer,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert (done.returncode, done.stdout) == (1, "")
