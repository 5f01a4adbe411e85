"""The content digest of a local chart: every file `helm package` would take.

Files are walked as helm's loader does: `.helmignore` patterns (gitignore syntax, which
helm's own rules are a subset of) leave files out, hidden files under `templates/` are
left out (helm's default rule), vendored dependencies under `charts/` (directories and
`.tgz` archives, by the files they hold) are in. The digest is the SHA-256 of every kept
file's relative path and content, in path order; a label value of 40 hex digits records it on the release.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pathspec

from envman.kit.errors import PlanError

DIGEST_LENGTH = 40
"""Hex digits kept: a Kubernetes label value holds at most 63 characters."""
_DEFAULT_IGNORES = ("templates/.?*",)


def chart_digest(chart: Path) -> str:
    """The digest of the chart directory `chart` (or of an archive's bytes)."""
    digest = hashlib.sha256()
    try:
        if chart.is_file():
            digest.update(chart.read_bytes())
            return digest.hexdigest()[:DIGEST_LENGTH]
        for path in packaged_files(chart):
            digest.update(path.relative_to(chart).as_posix().encode() + b"\0")
            digest.update(_content_digest(chart, path))
    except (OSError, tarfile.TarError) as exc:
        raise PlanError(f"cannot read chart {chart}: {exc}") from exc
    return digest.hexdigest()[:DIGEST_LENGTH]


def _content_digest(chart: Path, path: Path) -> bytes:
    """A file's digest; for a dependency archive (`charts/*.tgz`) the digest of the files it
    holds, not of its bytes: `helm dependency build` stamps new times into each archive."""
    relative = path.relative_to(chart).parts
    if len(relative) == 2 and relative[0] == "charts" and path.suffix == ".tgz":
        digest = hashlib.sha256()
        with tarfile.open(path) as archive:
            for member in sorted((m for m in archive.getmembers() if m.isfile()), key=lambda m: m.name):
                content = archive.extractfile(member)
                digest.update(member.name.encode() + b"\0")
                digest.update(hashlib.sha256(content.read() if content else b"").digest())
        return digest.digest()
    return hashlib.sha256(path.read_bytes()).digest()


def packaged_files(chart: Path) -> list[Path]:
    """The files of `chart` that helm packages, in path order."""
    spec = _ignore_rules(chart)
    files = []
    for path in sorted(chart.rglob("*")):
        relative = path.relative_to(chart).as_posix()
        if path.is_dir() or spec.match_file(relative):
            continue
        if any(spec.match_file(parent.as_posix() + "/") for parent in Path(relative).parents if parent.name):
            continue
        files.append(path)
    return files


def _ignore_rules(chart: Path) -> pathspec.GitIgnoreSpec:
    ignore = chart / ".helmignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    return pathspec.GitIgnoreSpec.from_lines([*_DEFAULT_IGNORES, *lines])
