"""The controllers that only report a status, as a real one would with nothing to act on:
PodDisruptionBudgets (zero counts) and HorizontalPodAutoscalers (no metrics, so their minimum).
"""

from __future__ import annotations

from typing import Any

from envman.sandbox.controllers.base import Controller

Obj = dict[str, Any]

PODDISRUPTIONBUDGETS = "policy/poddisruptionbudgets"
HORIZONTALPODAUTOSCALERS = "autoscaling/horizontalpodautoscalers"


class StatusOnly(Controller):
    """A controller that controls nothing and saves the status `status` gives."""

    owns = None

    def sync(self, obj: Obj, owned: list[Obj]) -> None:
        self.save_status(self.key, obj, self.status(obj))

    def status(self, obj: Obj) -> Obj:
        raise NotImplementedError


class DisruptionBudgets(StatusOnly):
    """Gives every PodDisruptionBudget its observed generation and zero counts."""

    key = PODDISRUPTIONBUDGETS
    kind = ("policy", "PodDisruptionBudget")

    def status(self, obj: Obj) -> Obj:
        status = dict(obj.get("status") or {})
        status["observedGeneration"] = obj["metadata"].get("generation", 1)
        for field in ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"):
            status.setdefault(field, 0)
        return status


class Autoscalers(StatusOnly):
    """Reports `minReplicas` as the current and desired replicas of every autoscaler."""

    key = HORIZONTALPODAUTOSCALERS
    kind = ("autoscaling", "HorizontalPodAutoscaler")

    def status(self, obj: Obj) -> Obj:
        replicas = int(obj.get("spec", {}).get("minReplicas", 1))
        return {"currentReplicas": replicas, "desiredReplicas": replicas}
