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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from envman.application.app import Application, Choice
from envman.application.changes import fingerprints
from envman.application.planning import Planned
from envman.kit.errors import EnvmanError
from envman.kit.redact import Redactor
from envman.output.plan_views import json_view

KIND = "envman-saved-plan"
VERSION = 1


class _Shape(BaseModel):
    """A part of the file as envman wrote it (more keys are allowed, wrong types are not)."""

    model_config = ConfigDict(extra="allow", strict=True)


class _Release(_Shape):
    app: str
    action: str
    changes: list[dict[str, Any]]
    drift: list[dict[str, Any]] = []


class _Cluster(_Shape):
    name: str
    releases: list[_Release]


class _Wave(_Shape):
    name: str
    clusters: list[_Cluster]


class _Body(_Shape):
    waves: list[_Wave]


class _Selection(_Shape):
    clusters: list[str]
    regions: list[str]
    apps: list[str]
    labels: list[str]


class _File(_Shape):
    kind: Literal["envman-saved-plan"]
    version: int
    environment: str
    selection: _Selection
    prune: bool
    spec_digest: str
    live_digest: str
    plan: _Body


@dataclass(frozen=True)
class SavedPlan:
    environment: str
    choice: Choice
    prune: bool
    spec_digest: str
    live_digest: str
    body: _Body


def save(app: Application, planned: Planned, choice: Choice, prune: bool, path: Path) -> None:
    """Write the saved plan to `path` (through the command's redacting sink)."""
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
        app.write(path, json.dumps(doc, indent=2) + "\n")
    except OSError as exc:
        raise EnvmanError(f"--out {path}: cannot write the plan: {exc.strerror}") from exc


def read(path: Path, option: str = "--plan") -> dict[str, Any]:
    """The document of the saved plan at `path` (exit 1 with what is wrong when it is not
    one: unreadable, not JSON, or another file); `option` names where the path came from."""
    return _checked(path, option)[0]


def _checked(path: Path, option: str) -> tuple[dict[str, Any], _File]:
    """The saved plan at `path`, as read and as validated once (see `read`)."""
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
    try:
        file = _File.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise EnvmanError(f"{option} {path}: not a saved plan ({where}: {first['msg']}); {hint}") from exc
    return doc, file


def load(path: Path, environment: str) -> SavedPlan:
    """The saved plan in `path` for `sync --plan`; a file that is not one is a clear error
    (never a traceback), naming the first part that is wrong."""
    file = _checked(path, "--plan")[1]
    if file.environment != environment:
        raise EnvmanError(f"--plan {path} is a plan of {file.environment}, not of {environment}")
    selection = file.selection
    choice = Choice(*(tuple(getattr(selection, k)) for k in ("clusters", "regions", "apps", "labels")))
    return SavedPlan(file.environment, choice, file.prune, file.spec_digest, file.live_digest, file.plan)


def check(saved: SavedPlan, planned: Planned, path: Path, redactor: Redactor) -> None:
    """Refuse when the spec or the live state moved since `saved` was written, or when the
    plan now differs from the one saved (any field of a release, wave or cluster): the
    message names the first release that differs and how."""
    if spec_digest(planned) != saved.spec_digest:
        raise EnvmanError(
            f"--plan {path}: the spec changed since the plan was saved; nothing was changed: plan again"
        )
    if live_digest(planned) != saved.live_digest:
        raise EnvmanError(
            f"--plan {path}: the live state changed since the plan was saved (a release, its drift or a "
            "verification record); nothing was changed: plan again"
        )
    now = _Body.model_validate(json.loads(redactor.text(json_view(planned.plan))))
    difference = first_difference(saved.body, now)
    if difference is not None:
        raise EnvmanError(
            f"--plan {path}: the plan differs from the saved one: {difference}; "
            "nothing was changed: plan again"
        )


def first_difference(saved: _Body, now: _Body) -> str | None:
    """How the first release (in rollout order) that differs between two plan bodies differs."""
    before, after = _releases(saved), _releases(now)
    for key in [*after, *(k for k in before if k not in after)]:
        wave, cluster, app = key
        where = f"release {app} on {cluster} (wave {wave})"
        old, new = before.get(key), after.get(key)
        if old is None:
            return f"{where} is not in the saved plan"
        if new is None:
            return f"{where} is in the saved plan only"
        if old.action != new.action:
            return f"{where}: the saved plan says {old.action}, now {new.action}"
        was, is_ = old.model_dump(), new.model_dump()
        for what in ["changes", "drift", *sorted((was.keys() | is_.keys()) - {"changes", "drift"})]:
            before_, after_ = was.get(what), is_.get(what)
            if before_ != after_:
                verb = "differ" if what in ("changes", "drift") else "differs"
                return f"{where}: its {what} {verb} (saved {_brief(before_)}, now {_brief(after_)})"
    if saved.model_dump() != now.model_dump():  # a wave's or cluster's own fields
        return "the waves differ (their gates, bake or verification)"
    return None


def _releases(body: _Body) -> dict[tuple[str, str, str], _Release]:
    return {(w.name, c.name, r.app): r for w in body.waves for c in w.clusters for r in c.releases}


def _brief(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if value not in (None, [], {}, "") else "none"


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
