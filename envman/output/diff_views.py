"""`envman diff`: the unified diff of each release that would change, live vs desired."""

from __future__ import annotations

import difflib

from envman.kit.redact import Redactor, redact_secret_data
from envman.plan.model import ReleasePlan


def unified_diff(release: ReleasePlan, rendered: str, redactor: Redactor) -> str:
    """The diff of one release, Secret data and secret values redacted on both sides."""
    live = release.live.manifest if release.live else ""
    where = f"{release.cluster}/{release.namespace}/{release.release}"
    before = _lines(redactor.text(redact_secret_data(live)))
    after = _lines(redactor.text(redact_secret_data(rendered)))
    lines = difflib.unified_diff(before, after, fromfile=f"live: {where}", tofile=f"desired: {where}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _lines(manifest: str) -> list[str]:
    """Lines to compare: helm stores a manifest without the trailing blank line `template` prints."""
    text = manifest.rstrip("\n")
    return (text + "\n").splitlines(keepends=True) if text else []
