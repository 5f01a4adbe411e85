"""`envman.lock` at the repository root: read, written (by `envman deps` only), and the pin
key of a desired release's chart."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from envman.application.charts import DIGEST_LENGTH
from envman.kit.errors import Location, Problem, SpecError
from envman.plan.desired import ChartSource
from envman.spec.chart_lock import LOCK_FILE, ChartKey, ChartLock, dump_lock, parse_lock


def read_lock(root: Path) -> ChartLock:
    """The pins of `root`'s lock file; none when there is no lock file."""
    path = root / LOCK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ChartLock()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem(f"cannot read: {exc}", Location(LOCK_FILE))]) from exc
    return parse_lock(text)


def write_lock(root: Path, lock: ChartLock) -> None:
    """Replace `root`'s lock file at once (a reader never sees half of it)."""
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{LOCK_FILE}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(dump_lock(lock))
        Path(tmp).chmod(0o644)
        Path(tmp).replace(root / LOCK_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def key_of(chart: ChartSource) -> ChartKey:
    """The lock's key of a remote chart: its repository URL (for OCI, the path holding it),
    its name and its version."""
    version = chart.version or ""
    if chart.repo_url is not None:
        return ChartKey(chart.repo_url.rstrip("/"), chart.ref, version)
    repository, _, name = chart.ref.rstrip("/").rpartition("/")
    return ChartKey(repository, name, version)


def content_digest(digest: str) -> str:
    """The chart content digest a release records (`envman.io/chart-digest`) for an archive
    of digest `sha256:<hex>`: as a local archive's (`charts.chart_digest`), the sha256 cut to
    a label value."""
    return digest.removeprefix("sha256:")[:DIGEST_LENGTH]
