"""Validate an edited environment file before it is written: the same loader and checks as
`envman validate`, run on a scratch copy of the repository (its `environments/` copied with
the edited file in place, everything else linked), so the real file is never touched."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from envman.kit.errors import Problem, SpecError
from envman.plan.fleet import graph_problems
from envman.promote.errors import PromoteError
from envman.spec.loader import ENV_DIR, load_environments


class InvalidPromotion(PromoteError):
    """The promoted destination would not validate; nothing was written."""


def check_edit(root: Path, environment: str, file: str, text: str) -> None:
    """Raise `InvalidPromotion` with every problem when `file` (relative to `root`) holding
    `text` makes `environment` invalid."""
    with tempfile.TemporaryDirectory(prefix="envman-promote-") as tmp:
        scratch = Path(tmp)
        _mirror(root, scratch)
        (scratch / file).write_text(text, encoding="utf-8")
        problems = _problems(scratch, environment)
    if problems:
        lines = "\n".join(str(p) for p in sorted(problems, key=str))
        raise InvalidPromotion(f"the promoted {file} would be invalid; nothing was changed:\n{lines}")


def _mirror(root: Path, scratch: Path) -> None:
    for entry in root.iterdir():
        if entry.name != ENV_DIR:
            (scratch / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    shutil.copytree(root / ENV_DIR, scratch / ENV_DIR, symlinks=True)


def _problems(root: Path, environment: str) -> list[Problem]:
    try:
        env = load_environments(root, [environment])[environment]
    except SpecError as exc:
        return list(exc.problems)
    return graph_problems(env)
