"""The verification record: which releases of a wave passed its gates and bake, for which
desired state (DESIGN.md section 5, "Verification record"). Pure: the kube adapter stores
it in a ConfigMap `envman-verified-<env>` in namespace `default` of each cluster.

A release's digest covers what it is meant to run: the chart as written, its version, its
content digest, and its values (secrets included, so a rotated secret is a new state). Only
the digest is stored, never a value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from envman.plan.cluster_state import STATE_LABEL, LiveRelease
from envman.plan.desired import DesiredRelease
from envman.plan.model import ReleasePlan
from envman.spec.merge import get_path, set_path

RECORD_NAMESPACE = "default"
WAVE_KEY_PREFIX = "wave."
DIGEST_LENGTH = 24


def record_name(environment: str) -> str:
    return f"envman-verified-{environment}"


def release_digest(desired: DesiredRelease, live: LiveRelease | None = None) -> str:
    """The digest of what `desired` is meant to run. A secret a read-only command could not
    resolve (`desired.unresolved`) is taken from the live release, as the plan compares it."""
    values = values_with_live_secrets(desired, live.values if live else {})
    material = {
        "chart": desired.chart_spec or desired.chart.ref,
        "version": desired.chart.version,
        "content": desired.chart_digest,
        "values": values,
    }
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


def values_with_live_secrets(release: DesiredRelease, live_values: Mapping[str, Any]) -> dict[str, Any]:
    """The release's values, each secret a read-only command could not read
    (`release.unresolved`) taken from the live release's values: as the plan compares them."""
    values: dict[str, Any] = json.loads(json.dumps(release.values, default=str))
    for path in release.unresolved:
        present, value = get_path(live_values, path)
        if present:
            set_path(values, path, value)
    return values


UNREAD_SECRET = "envman-secret-not-read"
"""What a secret a read-only command could not read, and no live release holds, renders as."""


def values_to_render(release: DesiredRelease, live_values: Mapping[str, Any]) -> dict[str, Any]:
    """The values `plan` renders `release` with: its own, each secret it could not read taken
    from the live release as the plan compares it, or `UNREAD_SECRET` (so that a template
    that requires it still renders)."""
    values = values_with_live_secrets(release, live_values)
    for path in release.unresolved:
        if not get_path(values, path)[0]:
            set_path(values, path, UNREAD_SECRET)
    return values


RAN = frozenset({"deployed", "superseded"})
"""helm statuses of a revision that ran to the end (not a failed or interrupted change)."""


def runs_verified(release: ReleasePlan, digest: str) -> bool:
    """Whether the revision of `release` that runs is the verified desired state `digest`:
    labelled so, or unchanged and planned to that state."""
    live = release.live
    if live is None or live.status != "deployed":
        return False
    return live.labels.get(STATE_LABEL) == digest or (not release.changed and release.digest == digest)


def verified_revision(release: ReleasePlan, digest: str | None, history: Iterable[LiveRelease]) -> int | None:
    """The newest revision of `release` that ran the state its wave's record verified
    (`digest`), from the release's `history` when it is not the one that runs."""
    if release.live is None or digest is None:
        return None
    if runs_verified(release, digest):
        return release.live.revision
    return last_verified(history, digest)


def last_verified(revisions: Iterable[LiveRelease], digest: str) -> int | None:
    """The newest revision (of a release's whole history) that ran the desired state `digest`."""
    found = [r.revision for r in revisions if r.status in RAN and r.labels.get(STATE_LABEL) == digest]
    return max(found, default=None)
