"""`envman diff`: what would change, per release and object: the release's stored manifest
(helm's record of what it applied, at its revision) against the rendered desired one, as
unified diffs under a `kind namespace/name` header, then the release's live drift. Releases
whose diff is the same on several clusters are shown once ("same change on 4 clusters"); a
summary ends it. Secret data and secret values are redacted on both sides."""

from __future__ import annotations

import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML

from envman.kit.redact import Redactor, redact_secret_data
from envman.output.plan_views import drift_text
from envman.plan.drift import MISSING
from envman.plan.manifests import ObjectRef, manifest_objects
from envman.plan.model import ReleasePlan

_STORED, _DESIRED = "\0stored", "\0desired"
"""Stand-ins for the diff headers until a group's revisions are known."""


@dataclass
class _Group:
    """Releases of one name whose diffs are the same, and that diff."""

    release: str
    namespace: str
    body: str
    objects: int
    members: list[ReleasePlan] = field(default_factory=list)


def diff_text(items: Sequence[tuple[ReleasePlan, str]], redactor: Redactor) -> str:
    """Every release that would change (with its rendered manifest, "" for an uninstall),
    grouped where the diff is the same, then a summary line."""
    groups: dict[tuple[str, str, str], _Group] = {}
    for release, rendered in items:
        body, objects = _release_body(release, rendered, redactor)
        key = (release.release, release.namespace, body)
        groups.setdefault(key, _Group(release.release, release.namespace, body, objects)).members.append(
            release
        )
    parts = [_shown(group) for group in groups.values()]
    return "".join(parts) + _summary(items, list(groups.values())) + "\n"


def _release_body(release: ReleasePlan, rendered: str, redactor: Redactor) -> tuple[str, int]:
    """The object diffs and drift of one release, without its cluster; how many objects differ."""
    stored = release.live.all_objects if release.live else ""
    before = {o.ref: o.body for o in manifest_objects(stored, release.namespace)}
    after = {o.ref: o.body for o in manifest_objects(rendered, release.namespace)}
    changed = [ref for ref in sorted(before.keys() | after.keys()) if before.get(ref) != after.get(ref)]
    parts = [_object_diff(ref, before.get(ref), after.get(ref), redactor) for ref in changed]
    parts += [f"# {drift_text(d)}\n" for d in release.drift]
    return "".join(parts), len(changed)


def _object_diff(
    ref: ObjectRef, stored: dict[str, Any] | None, rendered: dict[str, Any] | None, redactor: Redactor
) -> str:
    old, new = _lines(stored, redactor), _lines(rendered, redactor)
    lines = difflib.unified_diff(old, new, fromfile=_STORED, tofile=_DESIRED, lineterm="\n")
    body = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return f"# {ref}\n{body}" if body else f"# {ref}: only secret values differ (not shown)\n"


def _lines(obj: dict[str, Any] | None, redactor: Redactor) -> list[str]:
    if obj is None:
        return []
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 1 << 30  # never fold a long value (a folded one leaves trailing spaces)
    yaml.dump(obj, out)
    return redactor.text(redact_secret_data(out.getvalue())).splitlines(keepends=True)


def _shown(group: _Group) -> str:
    """`== upgrade of api (namespace api): same change on 4 clusters: c1, c2, c3, c4`, then the
    diff with its sides named: `--- stored (revision 7)`, `+++ desired`."""
    clusters = [r.cluster for r in group.members]
    where = f"== {group.members[0].action.value} of {group.release} (namespace {group.namespace})"
    if len(clusters) > 1:
        title = f"{where}: same change on {len(clusters)} clusters: {', '.join(clusters)}"
    else:
        title = f"{where} on {clusters[0]}"
    body = group.body.replace(f"--- {_STORED}", f"--- {_stored_side(group.members)}")
    body = body.replace(
        f"+++ {_DESIRED}", "+++ " + ("desired" if group.members[0].desired else "desired: none (uninstall)")
    )
    return f"{title}\n{body}"


def _stored_side(members: Sequence[ReleasePlan]) -> str:
    revisions = sorted({r.live.revision for r in members if r.live is not None})
    if not revisions:
        return "stored: none (not installed)"
    if len(revisions) == 1:
        return f"stored (revision {revisions[0]})"
    shown = ", ".join(f"{r.live.revision} on {r.cluster}" for r in members if r.live is not None)
    return f"stored (revisions {shown})"


def _summary(items: Sequence[tuple[ReleasePlan, str]], groups: Sequence[_Group]) -> str:
    """`summary: 5 releases would change (api on 5 clusters); 1 distinct diff above; 7 objects
    differ, 1 drifted`."""
    per_app: dict[str, int] = {}
    for release, _ in items:
        per_app[release.app] = per_app.get(release.app, 0) + 1
    apps = ", ".join(f"{app} on {_count(n, 'cluster')}" for app, n in per_app.items())
    objects = sum(g.objects * len(g.members) for g in groups)
    drifted = sum(len(r.drift) for r, _ in items)
    missing = sum(1 for r, _ in items for d in r.drift if d.reason == MISSING)
    drift = f", {drifted} drifted" + (f" ({missing} missing)" if missing else "")
    return (
        f"summary: {_count(len(items), 'release')} would change ({apps}); "
        f"{_count(len(groups), 'distinct diff')} above; {_count(objects, 'object')} "
        f"{'differs' if objects == 1 else 'differ'}{drift}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
