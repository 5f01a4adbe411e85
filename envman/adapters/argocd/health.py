"""The health gate's port with the argocd engine: each Application's health, as Argo CD
judges it on the hub (no destination access needed). Blocking reads run in a thread."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from envman.adapters.argocd.hub import Applications
from envman.adapters.argocd.release_ops import Destination
from envman.gates.ports import Deployed, HealthResult
from envman.plan.argocd.reading import health_problems


class ArgoHealth:
    """`Health`: every Application of the releases `Healthy` (one LIST per check)."""

    def __init__(self, api: Applications, destinations: Mapping[str, Destination]) -> None:
        self._api = api
        self._destinations = destinations

    async def check(self, cluster: str, releases: Sequence[Deployed]) -> HealthResult:
        destination = self._destinations[cluster]
        found = await self._api.list(destination.selector)
        by_name = {str((obj.get("metadata") or {}).get("name")): obj for obj in found}
        problems = []
        for release in releases:
            place = destination.places.get(release.app)
            obj = by_name.get(place.name) if place is not None else None
            if obj is None:
                problems.append(f"{release.app}: no Application on the hub")
            else:
                problems += [f"{release.app}: {problem}" for problem in health_problems(obj)]
        if problems:
            return HealthResult(False, "; ".join(problems))
        return HealthResult(True, f"{len(releases)} Applications Healthy")
