"""Build small envman repositories in temporary directories for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

CHART_YAML = "apiVersion: v2\nname: {name}\nversion: {version}\n"


def write_repo(root: Path, files: dict[str, str], charts: dict[str, str] | None = None) -> Path:
    """Write `files` (path -> dedented text) and local `charts` (name -> version) under `root`."""
    for name, version in (charts if charts is not None else {"app": "1.0.0"}).items():
        chart = root / "charts" / name
        (chart / "templates").mkdir(parents=True, exist_ok=True)
        (chart / "Chart.yaml").write_text(CHART_YAML.format(name=name, version=version))
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    return root
