"""The controllers that only report a status, as a real one would with nothing to act on:
PodDisruptionBudgets (zero counts), HorizontalPodAutoscalers (no metrics, so their minimum)
and Ingresses (published at the loopback address, as an ingress controller publishes its own).
"""

from __future__ import annotations

from typing import Any

from envman.sandbox.controllers.base import Controller

Obj = dict[str, Any]

PODDISRUPTIONBUDGETS = "policy/poddisruptionbudgets"
HORIZONTALPODAUTOSCALERS = "autoscaling/horizontalpodautoscalers"
INGRESSES = "networking.k8s.io/ingresses"


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


class Ingresses(StatusOnly):
    """Publishes every Ingress at 127.0.0.1, as an ingress controller writes its load balancer's
    address (Argo CD counts an Ingress without one as Progressing)."""

    key = INGRESSES
    kind = ("networking.k8s.io", "Ingress")

    def status(self, obj: Obj) -> Obj:
        return {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}
