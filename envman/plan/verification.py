"""The verification record: which releases of a wave passed its gates and bake, for which
desired state (README, "Verification record"). Pure: the kube adapter stores
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

from envman.plan.cluster_state import DIGEST_LABEL, STATE_LABEL, LiveRelease
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
    return _digest(
        desired.chart_spec or desired.chart.ref, desired.chart.version, desired.chart_digest, values
    )


def running_digest(desired: DesiredRelease, live: LiveRelease) -> str:
    """The digest of what `live` runs, in the terms of `release_digest` (the chart as the
    spec names it; the version, content digest and values the release records)."""
    chart = desired.chart_spec or desired.chart.ref
    return _digest(chart, live.chart_version, live.labels.get(DIGEST_LABEL), dict(live.values))


def _digest(chart: str, version: str | None, content: str | None, values: Mapping[str, Any]) -> str:
    material = {"chart": chart, "version": version, "content": content, "values": values}
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


def runs_verified(release: ReleasePlan, digest: str | None) -> bool:
    """Whether the revision of `release` that runs (deployed) ran the state `digest` (what a
    wave's record verified): its label says so, or the digest of what it runs (the spec's,
    when it runs the spec) is that one. A hand-made `rollback` or upgrade runs another state;
    a spec changed since does not matter."""
    live, desired = release.live, release.desired
    if digest is None or live is None or desired is None or live.status != "deployed":
        return False
    if live.labels.get(STATE_LABEL) == digest:
        return True
    runs = release.digest if not release.changed else running_digest(desired, live)
    return runs == digest


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
