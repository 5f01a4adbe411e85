"""The Job controller: up to `parallelism` pods at a time until `completions` have succeeded,
then the Complete condition; a new pod for each failed one until more than `backoffLimit`
have failed, then the FailureTarget and Failed conditions. Finished and suspended Jobs are
left alone.
"""

from __future__ import annotations

from typing import Any

from envman.sandbox.api import now_iso
from envman.sandbox.controllers.base import Controller
from envman.sandbox.controllers.workloads import (
    condition,
    is_ready,
    merge_conditions,
    phase,
    suffix,
)
from envman.sandbox.events import WARNING

Obj = dict[str, Any]

JOBS = "batch/jobs"
COMPLETED = "Reached expected number of succeeded pods"
BACKOFF_EXCEEDED = "Job has reached the specified backoff limit"


class Jobs(Controller):
    """Runs the pods of every Job to completion."""

    key = JOBS
    kind = ("batch", "Job")
    component = "job-controller"

    def owned(self, obj: Obj) -> list[Obj]:
        """Every pod of the Job, failed ones included: they count towards its backoff limit."""
        return self.api.store.controlled("/pods", obj["metadata"]["uid"])

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        status = dict(obj.get("status") or {})
        if not (_finished(status) or obj["spec"].get("suspend")):
            self._run(obj, status, owned)

    def _run(self, job: Obj, status: Obj, pods: list[Obj]) -> None:
        """Start the pods still wanted and save the counts."""
        succeeded = sum(1 for p in pods if phase(p) == "Succeeded")
        failed = sum(1 for p in pods if phase(p) == "Failed")
        active = [p for p in pods if phase(p) not in ("Succeeded", "Failed")]
        completions = int(job["spec"].get("completions", 1))
        exceeded = failed > int(job["spec"].get("backoffLimit", 6))
        if exceeded:
            for pod in active:
                self.delete_pod(job, pod)
            active = []
        wanted = 0 if exceeded else min(int(job["spec"].get("parallelism", 1)), completions - succeeded)
        for _ in range(max(0, wanted - len(active))):
            self.create_pod(job, job["spec"]["template"], f"{job['metadata']['name']}-{suffix()}", {})
        status.setdefault("startTime", now_iso())
        status.update(
            {
                "active": len(active),
                "succeeded": succeeded,
                "failed": failed,
                "terminating": 0,
                "ready": sum(1 for p in active if is_ready(p)),
                "uncountedTerminatedPods": {},
            }
        )
        if exceeded:
            status.update(_backoff_exceeded())
            self.record(job, "BackoffLimitExceeded", BACKOFF_EXCEEDED, WARNING)
        elif succeeded >= completions:
            status.update(_completed())
            self.record(job, "Completed", "Job completed")
        self.save_status(JOBS, job, status)


def _finished(status: Obj) -> bool:
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


def _completed() -> Obj:
    """The status fields of a Job whose pods have all succeeded."""
    return {
        "active": 0,
        "ready": 0,
        "completionTime": now_iso(),
        "conditions": merge_conditions(
            None,
            [
                condition(ctype, True, "CompletionsReached", COMPLETED)
                for ctype in ("SuccessCriteriaMet", "Complete")
            ],
        ),
    }


def _backoff_exceeded() -> Obj:
    """The status fields of a Job with more failed pods than its backoff limit allows."""
    conditions = merge_conditions(
        None,
        [
            condition(ctype, True, "BackoffLimitExceeded", BACKOFF_EXCEEDED)
            for ctype in ("FailureTarget", "Failed")
        ],
    )
    return {
        "active": 0,
        "ready": 0,
        "conditions": [{**c, "lastProbeTime": c["lastTransitionTime"]} for c in conditions],
    }
