"""The sync report: records the engine fills in as it runs, in the JSON shape of `docs/report.md`.

`Report.to_dict()` gives the stable core of `docs/report.md`, plus these extras:
top level `started` (ISO 8601 UTC), `seconds`, `on_failure`, `error` (why the run did not
succeed, or null) and `next` (the command that continues after `awaiting-approval`, or
null); per wave `seconds`; per cluster `region`; per release `release`, `namespace`,
`error` (one line), `failure` (the core's shape, or null), `helm_output` (helm's whole
error output, or null) and `rollback` ({action: rollback|uninstall|none, result: succeeded|failed|skipped,
to_revision, revision, detail, seconds} or null); per gate `region` and `seconds`. `cluster`
of a gate is null when it ran once per wave or per region. Result values: see `results`.
The engine puts errors and details in already redacted (`Run.redact`: views reflow text, and a
secret cut by a line wrap would pass the sink unseen); the file it is written to passes the
command's redacting sink (`Application.write`) like stdout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from envman.gates.ports import GateResult
from envman.plan.model import Plan, ReleasePlan, WavePlan
from envman.plan.workload_failures import WorkloadFailure
from envman.rollout.results import ReleaseResult, RollbackResult, RunResult, WaveResult


@dataclass
class RollbackReport:
    """How one release was put back: `rollback` to `to_revision`, `uninstall`, or `none`."""

    action: str
    result: RollbackResult
    to_revision: int | None = None
    revision: int | None = None
    detail: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "result": self.result.value,
            "to_revision": self.to_revision,
            "revision": self.revision,
            "detail": self.detail,
            "seconds": round(self.seconds, 1),
        }


@dataclass
class ReleaseReport:
    plan: ReleasePlan
    result: ReleaseResult
    revision: int | None = None
    seconds: float | None = None
    error: str | None = None
    rollback: RollbackReport | None = None
    failure: WorkloadFailure | None = None
    """Why its workloads failed, when fail fast saw it (pod, container, reason, message)."""
    helm_output: str | None = None
    """All helm wrote on stderr when it failed (`error` is its one-line summary)."""
    attempted: bool = False
    """True once this run called helm for it: it may have changed the cluster."""

    @classmethod
    def of(cls, plan: ReleasePlan) -> ReleaseReport:
        if plan.changed:
            return cls(plan, ReleaseResult.NOT_STARTED)
        return cls(plan, ReleaseResult.UNCHANGED, plan.live.revision if plan.live else None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "app": self.plan.app,
            "release": self.plan.release,
            "namespace": self.plan.namespace,
            "action": self.plan.action.value,
            "result": self.result.value,
            "revision": self.revision,
            "seconds": None if self.seconds is None else round(self.seconds, 1),
            "error": self.error,
            "failure": self.failure.to_dict() if self.failure else None,
            "helm_output": self.helm_output,
            "rollback": self.rollback.to_dict() if self.rollback else None,
        }


@dataclass
class ClusterReport:
    name: str
    region: str
    releases: list[ReleaseReport]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "releases": [r.to_dict() for r in self.releases],
        }


@dataclass
class GateReport:
    gate: str
    cluster: str | None
    region: str | None
    result: GateResult
    detail: str
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "cluster": self.cluster,
            "region": self.region,
            "result": self.result.value,
            "detail": self.detail,
            "seconds": round(self.seconds, 1),
        }


@dataclass
class WaveReport:
    plan: WavePlan
    result: WaveResult
    clusters: list[ClusterReport]
    gates: list[GateReport] = field(default_factory=list)
    seconds: float | None = None

    @classmethod
    def of(cls, plan: WavePlan) -> WaveReport:
        clusters = [
            ClusterReport(c.name, c.region, [ReleaseReport.of(r) for r in c.releases]) for c in plan.clusters
        ]
        started = plan.changed or plan.needs_verify
        return cls(plan, WaveResult.NOT_STARTED if started else WaveResult.UNCHANGED, clusters)

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def releases(self) -> list[ReleaseReport]:
        return [r for c in self.clusters for r in c.releases]

    def record(self, plan: ReleasePlan) -> ReleaseReport:
        """The record of one release of this wave."""
        return next(r for r in self.releases if r.plan is plan)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "result": self.result.value,
            "seconds": None if self.seconds is None else round(self.seconds, 1),
            "clusters": [c.to_dict() for c in self.clusters],
            "gates": [g.to_dict() for g in self.gates],
        }


@dataclass
class Report:
    """Everything a sync did; `exit_code` is what the CLI exits with."""

    environment: str
    result: RunResult
    waves: list[WaveReport]
    started: str = ""
    seconds: float = 0.0
    on_failure: str = "rollback-wave"
    error: str | None = None
    next: str | None = None

    @classmethod
    def of(cls, plan: Plan, *, on_failure: str, started: str = "") -> Report:
        """The report before anything ran: changed waves `not-started`, others `unchanged`."""
        waves = [WaveReport.of(run) for run in plan.waves]
        return cls(plan.environment, RunResult.SUCCEEDED, waves, started, on_failure=on_failure)

    @classmethod
    def error_before_start(cls, environment: str, error: str) -> Report:
        """The report of a sync whose plan step failed: nothing was touched."""
        return cls(environment, RunResult.ERROR, [], error=error)

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "result": self.result.value,
            "started": self.started,
            "seconds": round(self.seconds, 1),
            "on_failure": self.on_failure,
            "error": self.error,
            "next": self.next,
            "waves": [w.to_dict() for w in self.waves],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"
