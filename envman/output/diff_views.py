"""`envman diff`: per object of each release that would change, a `kind namespace/name`
header and the unified diff of the stored manifest's object against the rendered one, then
the release's live drift. Secret data and secret values are redacted on both sides."""

from __future__ import annotations

import difflib
import io
from typing import Any

from ruamel.yaml import YAML

from envman.kit.redact import Redactor, redact_secret_data
from envman.output.plan_views import drift_text
from envman.plan.manifests import ObjectRef, manifest_objects
from envman.plan.model import ReleasePlan


def release_diff(release: ReleasePlan, rendered: str, redactor: Redactor) -> str:
    """The diff of one release: changed objects, then drifted ones."""
    where = f"{release.cluster}/{release.namespace}/{release.release}"
    stored = release.live.all_objects if release.live else ""
    before = {o.ref: o.body for o in manifest_objects(stored, release.namespace)}
    after = {o.ref: o.body for o in manifest_objects(rendered, release.namespace)}
    parts = [
        _object_diff(where, ref, before.get(ref), after.get(ref), redactor)
        for ref in sorted(before.keys() | after.keys())
        if before.get(ref) != after.get(ref)
    ]
    parts += [f"# {where}: {drift_text(d)}\n" for d in release.drift]
    return "".join(parts)


def _object_diff(
    where: str,
    ref: ObjectRef,
    stored: dict[str, Any] | None,
    rendered: dict[str, Any] | None,
    redactor: Redactor,
) -> str:
    old, new = _lines(stored, redactor), _lines(rendered, redactor)
    lines = difflib.unified_diff(old, new, fromfile=f"live: {where}", tofile=f"desired: {where}")
    body = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return f"# {ref}\n{body}"


def _lines(obj: dict[str, Any] | None, redactor: Redactor) -> list[str]:
    if obj is None:
        return []
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(obj, out)
    return redactor.text(redact_secret_data(out.getvalue())).splitlines(keepends=True)
