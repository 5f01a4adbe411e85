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
from collections.abc import Mapping
from typing import Any

from envman.plan.cluster_state import LiveRelease
from envman.plan.desired import DesiredRelease
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
