"""The wheel: envman's package, its console script, type information, the sandbox's vendored
Argo CD CRDs; nothing else."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_wheel_holds_the_package_and_its_console_script(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("envman-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "envman/cli/__init__.py" in names and "envman/py.typed" in names
    crds = "envman/sandbox/argocd/crds/"
    assert {f"{crds}application-crd.yaml", f"{crds}appproject-crd.yaml", f"{crds}SOURCES.md"} <= set(names)
    assert {n.split("/")[0] for n in names} <= {
        "envman",
        next(n.split("/")[0] for n in names if ".dist-info" in n),
    }
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "envman = envman.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
