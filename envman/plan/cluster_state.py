"""What runs on a cluster, as envman needs it for planning (filled in by the drivers)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from envman.plan.manifests import ObjectRef

MANAGED_BY = "managed-by"
MANAGED_BY_ENVMAN = "envman"
ENV_LABEL = "envman.io/environment"
APP_LABEL = "envman.io/app"
DIGEST_LABEL = "envman.io/chart-digest"
"""The release label recording the content digest of the local chart it was synced from."""


STATE_LABEL = "envman.io/desired-digest"
"""The release label recording the digest of the desired state a revision was synced to, as
the verification record keeps it: a failed verification finds the last verified revision by it."""


COMMIT_LABEL = "envman.io/commit"
"""The release label recording the git commit of the repository it was synced from
(`-dirty` appended when the repository had uncommitted changes)."""


SECRET_LABEL_PREFIX = "envman.io/secret-"
"""Release labels recording each value path that is (or was) a secret: `envman.io/secret-<hash>`
= the path, or `hidden` for a path a label cannot hold. helm merges labels on upgrade, so a
path stays recorded after the secret leaves the spec, and its old value is never shown."""
HIDDEN = "hidden"
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def managed_labels(environment: str, app: str) -> dict[str, str]:
    """The helm release labels that mark a release as envman's."""
    return {MANAGED_BY: MANAGED_BY_ENVMAN, ENV_LABEL: environment, APP_LABEL: app}


def secret_labels(paths: Iterable[str]) -> dict[str, str]:
    """The labels recording `paths` as secret value paths."""
    labels = {}
    for path in paths:
        key = SECRET_LABEL_PREFIX + hashlib.sha256(path.encode()).hexdigest()[:10]
        labels[key] = path if len(path) <= 63 and _LABEL_VALUE.match(path) else HIDDEN
    return labels


@dataclass(frozen=True)
class LiveRelease:
    """The current revision of a helm release on one cluster."""

    name: str
    namespace: str
    revision: int
    status: str
    chart_name: str
    chart_version: str
    values: dict[str, Any] = field(hash=False, default_factory=dict)
    labels: dict[str, str] = field(hash=False, default_factory=dict)
    updated: datetime | None = None
    manifest: str = field(hash=False, default="", repr=False)
    hooks: str = field(hash=False, default="", repr=False)
    """The manifests of the release's hooks (tests included), one YAML stream: helm keeps
    them beside the manifest, and a rendering with hooks is compared with both."""
    deployed_revision: int | None = None
    """The newest revision helm still holds as `deployed`: what a rollback returns to when
    the latest one is pending (a crashed run's) or failed."""
    app_version: str = ""
    """The chart's `appVersion`."""
    description: str = ""
    """helm's description of the revision (`Upgrade complete`, `Rollback to 3`)."""

    @property
    def rollback_target(self) -> int | None:
        """The revision this release goes back to after a failed change (None: it had no
        deployed revision, so undoing means uninstalling)."""
        if self.status == "deployed":
            return self.revision
        if self.deployed_revision is not None:
            return self.deployed_revision
        return None if self.status == "pending-install" else self.revision

    @property
    def all_objects(self) -> str:
        """The stored manifest and the hooks' manifests, as `helm template` renders them."""
        return f"{self.manifest}\n---\n{self.hooks}" if self.hooks else self.manifest

    @property
    def secret_paths(self) -> tuple[str, ...]:
        """The value paths this release records as secret (`HIDDEN`: one it cannot name)."""
        return tuple(sorted(v for k, v in self.labels.items() if k.startswith(SECRET_LABEL_PREFIX)))

    def managed_by(self, environment: str) -> bool:
        return self.labels.get(MANAGED_BY) == MANAGED_BY_ENVMAN and self.labels.get(ENV_LABEL) == environment


@dataclass(frozen=True)
class WaveVerification:
    """The last time a wave's gates and bake passed on a cluster, and for what."""

    wave: str
    verified_at: str
    releases: Mapping[str, str] = field(default_factory=dict)
    """app -> release digest."""

    def to_text(self) -> str:
        return json.dumps(
            {"wave": self.wave, "verifiedAt": self.verified_at, "releases": dict(self.releases)},
            sort_keys=True,
        )

    @classmethod
    def from_text(cls, text: str) -> WaveVerification | None:
        """None for a record envman cannot read (it is then simply not verified)."""
        try:
            data = json.loads(text)
            return cls(str(data["wave"]), str(data["verifiedAt"]), dict(data["releases"]))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class ClusterState:
    """Every release of one cluster, by (namespace, name); the live objects of their stored
    manifests (None: not read, `--no-refresh`; an object maps to None when it is missing);
    the verification record of each wave on this cluster."""

    cluster: str
    releases: dict[tuple[str, str], LiveRelease] = field(hash=False, default_factory=dict)
    objects: Mapping[ObjectRef, Mapping[str, Any] | None] | None = field(hash=False, default=None)
    verifications: Mapping[str, WaveVerification] = field(hash=False, default_factory=dict)

    def get(self, namespace: str, name: str) -> LiveRelease | None:
        return self.releases.get((namespace, name))


@dataclass(frozen=True)
class ReleaseHistory:
    """Every revision helm holds of one release on one cluster, oldest first."""

    cluster: str
    release: str
    namespace: str
    revisions: list[LiveRelease]
