"""`envman changed --base REF`: the environments, clusters and apps a change affects.

The repository as it was at the merge base of REF and HEAD (`git archive`, into a temporary
directory) and as it is now are both resolved offline, and every release is fingerprinted:
its chart as written, version, local chart content digest (dependencies included), layered
values, secret sources (never their values), namespace, release name and timeout. A release
whose fingerprint differs, or that exists on one side only, is affected; an environment
whose rollout (waves, gates, policy) or cluster list changed is affected as a whole. So an
edit of `charts/web` affects every environment using it, and an edit of a base affects the
environments extending it, exactly where the layered result changes.

The envman root may be a subdirectory of the git work tree (a monorepo): only the tree under
it is compared, extracted as the root itself. A symbolic link that leads out of that tree
(absolute, or through `..`) is left out of the extraction, never followed. REF must name a
commit and cannot start with `-`; a shallow clone that lacks the merge base gets the fix.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from envman.application.fleet_state import desired_state
from envman.kit.errors import EnvmanError, SpecError
from envman.kit.redact import Redactor
from envman.plan.changes import EnvironmentChange, Fingerprints, compare
from envman.plan.fleet import resolve
from envman.plan.select import Selection, select
from envman.plan.verification import release_digest
from envman.promote.errors import GitError
from envman.promote.gitops import Git
from envman.spec.environment import Environment
from envman.spec.loader import load_environments


def changed(root: Path, base: str) -> tuple[str, list[EnvironmentChange]]:
    """The merge base of `base` and HEAD, and every affected environment, in name order."""
    git = Git(root)
    merge_base = _merge_base(git, base)
    prefix = git.run("rev-parse", "--show-prefix")
    now = _fingerprints(root, strict=True)
    with tempfile.TemporaryDirectory(prefix="envman-base-") as tmp:
        extracted = _extract(git, f"{merge_base}:{prefix}", Path(tmp))
        before = _fingerprints(Path(tmp), strict=False) if extracted else {}
    changes = [compare(name, before.get(name), prints) for name, prints in sorted(now.items())]
    return merge_base, [c for c in changes if c.releases or c.rollout]


def _merge_base(git: Git, base: str) -> str:
    """The merge base of `base` (a commit, never an option) and HEAD."""
    if base.startswith("-"):
        raise EnvmanError(f"--base {base!r}: a ref cannot start with '-'")
    shallow = git.run("rev-parse", "--is-shallow-repository") == "true"
    try:
        commit = git.run("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except GitError as exc:
        raise EnvmanError(f"--base {base!r}: no such commit in this repository{_shallow(shallow)}") from exc
    try:
        return git.run("merge-base", commit, "HEAD")
    except GitError as exc:
        if shallow:
            raise EnvmanError(
                f"--base {base!r}: this clone is shallow and lacks the merge base of {base} and HEAD"
                f"{_shallow(shallow)}"
            ) from exc
        raise EnvmanError(f"--base {base!r}: {base} and HEAD have no commit in common") from exc


def _shallow(shallow: bool) -> str:
    if not shallow:
        return ""
    return (
        "; the clone is shallow (actions/checkout fetches one commit unless told otherwise): "
        "check out with `fetch-depth: 0` (actions/checkout; GIT_DEPTH: 0 on GitLab), or run "
        "`git fetch --deepen=<commits>` or `git fetch --unshallow` first"
    )


def _fingerprints(root: Path, *, strict: bool) -> dict[str, Fingerprints]:
    """Per concrete environment; at the base (`strict` False) an environment that does not
    load has no fingerprints (every release of it counts as changed)."""
    try:
        environments = load_environments(root)
    except SpecError:
        if strict:
            raise
        return {}
    return {name: fingerprints(env) for name, env in environments.items() if not env.spec.abstract}


def fingerprints(env: Environment, selection: Selection | None = None) -> Fingerprints:
    """The fingerprints of the selected (default: every) release of `env`, offline, without
    reading any secret value."""
    fleet = resolve(env)
    desired = desired_state(fleet, selection or select(env), Redactor(), secrets="skip")
    releases = {
        (cluster, app): _digest(release_digest(release), _release_spec(env, app))
        for cluster, per_cluster in desired.items()
        for app, release in per_cluster.items()
    }
    rollout = env.spec.rollout.model_dump(mode="json") if env.spec.rollout else None
    clusters = {name: spec.model_dump(mode="json") for name, spec in env.clusters.items()}
    return Fingerprints(_digest(rollout, clusters), releases)


def _release_spec(env: Environment, app: str) -> dict[str, Any]:
    spec = env.apps[app]
    secrets = {path: source.model_dump(mode="json") for path, source in spec.secrets.items()}
    return {
        "ns": spec.namespace,
        "release": env.release_name(app),
        "timeout": spec.timeout,
        "secrets": secrets,
    }


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _extract(git: Git, tree: str, target: Path) -> bool:
    """The files of `tree` (`<commit>:<root's path>`) into `target`; False when the root did
    not exist at that commit. A link leading out of `target` is left out."""
    try:
        if git.run("cat-file", "-t", tree) != "tree":
            return False
    except GitError:
        return False
    archive = subprocess.run(
        ["git", "archive", "--format=tar", tree], cwd=git.toplevel, capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise EnvmanError(f"git archive {tree} failed: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter=_inside)
    return True


def _inside(member: tarfile.TarInfo, target: str) -> tarfile.TarInfo | None:
    """tarfile's `data` filter, with a member it refuses (a link out of the tree) left out."""
    try:
        return tarfile.data_filter(member, target)
    except tarfile.FilterError:
        return None
