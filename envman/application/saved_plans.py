"""Saved plans: `plan --out FILE` writes the plan with digests of the spec and of the live
state it was computed from; `sync --plan FILE` plans again with the same selection and
refuses (nothing touched) unless both digests are unchanged, so it applies exactly the plan
that was reviewed.

The spec digest covers every selected release's fingerprint (chart, version, content digest,
layered values, secret sources: never a secret value) and the rollout; the live digest every
read release's revision and status, the drift the plan found and the verification records.
The file holds the plan's JSON view, redacted, for reviewers; no secret value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envman.application.app import Choice
from envman.application.changes import fingerprints
from envman.application.planning import Planned
from envman.kit.errors import EnvmanError
from envman.kit.redact import Redactor
from envman.output.plan_views import json_view

KIND = "envman-saved-plan"
VERSION = 1


@dataclass(frozen=True)
class SavedPlan:
    environment: str
    choice: Choice
    prune: bool
    spec_digest: str
    live_digest: str


def save(planned: Planned, choice: Choice, prune: bool, path: Path, redactor: Redactor) -> None:
    doc = {
        "kind": KIND,
        "version": VERSION,
        "environment": planned.plan.environment,
        "selection": {
            "clusters": list(choice.clusters),
            "regions": list(choice.regions),
            "apps": list(choice.apps),
            "labels": list(choice.labels),
        },
        "prune": prune,
        "spec_digest": spec_digest(planned),
        "live_digest": live_digest(planned),
        "plan": json.loads(json_view(planned.plan)),
    }
    try:
        path.write_text(redactor.text(json.dumps(doc, indent=2)) + "\n", encoding="utf-8")
    except OSError as exc:
        raise EnvmanError(f"--out {path}: cannot write the plan: {exc.strerror}") from exc


def read(path: Path, option: str = "--plan") -> dict[str, Any]:
    """The document of the saved plan at `path` (exit 1 with what is wrong when it is not
    one: unreadable, not JSON, or another file); `option` names where the path came from."""
    hint = "`envman plan ENV --out FILE` saves one"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EnvmanError(f"{option} {path}: cannot read it: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise EnvmanError(f"{option} {path}: not a saved plan (not text); {hint}") from exc
    except ValueError as exc:
        raise EnvmanError(f"{option} {path}: not a saved plan (not JSON: {exc}); {hint}") from exc
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise EnvmanError(f'{option} {path}: not a saved plan (no "kind": "{KIND}"); {hint}')
    if doc.get("version") != VERSION:
        raise EnvmanError(
            f"{option} {path}: a saved plan of version {doc.get('version')!r}; this envman reads {VERSION}"
        )
    if not isinstance(doc.get("plan"), dict) or not isinstance(doc["plan"].get("waves"), list):
        raise EnvmanError(f"{option} {path}: a saved plan without its plan; {hint}")
    return doc


def load(path: Path, environment: str) -> SavedPlan:
    doc = read(path)
    try:
        selection = doc["selection"]
        choice = Choice(*(tuple(selection[k]) for k in ("clusters", "regions", "apps", "labels")))
        saved = SavedPlan(
            doc["environment"], choice, bool(doc["prune"]), doc["spec_digest"], doc["live_digest"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise EnvmanError(f"--plan {path}: cannot read a saved plan: {exc}") from exc
    if saved.environment != environment:
        raise EnvmanError(f"--plan {path} is a plan of {saved.environment}, not of {environment}")
    return saved


def check(saved: SavedPlan, planned: Planned, path: Path) -> None:
    """Refuse when the spec or the live state moved since `saved` was written."""
    if spec_digest(planned) != saved.spec_digest:
        raise EnvmanError(
            f"--plan {path}: the spec changed since the plan was saved; nothing was changed: plan again"
        )
    if live_digest(planned) != saved.live_digest:
        raise EnvmanError(
            f"--plan {path}: the live state changed since the plan was saved (a release, its drift or a "
            "verification record); nothing was changed: plan again"
        )


def spec_digest(planned: Planned) -> str:
    prints = fingerprints(planned.fleet.env, planned.selection)
    return _digest(prints.rollout, sorted(prints.releases.items()))


def live_digest(planned: Planned) -> str:
    releases = [
        (cluster, ns, name, live.revision, live.status)
        for cluster, state in sorted(planned.states.items())
        for (ns, name), live in sorted(state.releases.items())
    ]
    records = [
        (cluster, wave, record.to_text())
        for cluster, state in sorted(planned.states.items())
        for wave, record in sorted(state.verifications.items())
    ]
    drift: list[Any] = [
        (r.cluster, r.app, [d.to_dict() for d in r.drift])
        for w in planned.plan.waves
        for c in w.clusters
        for r in c.releases
    ]
    return _digest(releases, records, drift)


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
