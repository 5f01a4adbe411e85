"""What runs on one cluster, read in a bounded number of requests: helm's release storage
(one LIST), the environment's verification record (one GET) and, with `refresh`, the live
objects of the wanted releases' stored manifests (a LIST per kind and namespace in use).
Blocking: run it in a worker thread."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from envman.adapters.kube.client import KubeClients
from envman.adapters.kube.objects import ClusterApi, merge_config_map, read_config_map, read_objects
from envman.adapters.kube.releases import read_cluster_state
from envman.adapters.target import ClusterTarget
from envman.plan.cluster_state import ClusterState, WaveVerification
from envman.plan.manifests import manifest_objects
from envman.plan.verification import RECORD_NAMESPACE, WAVE_KEY_PREFIX, record_name


@dataclass(frozen=True)
class RecordSite:
    """Where one cluster's verification record is kept: a ConfigMap `name` in `namespace` of
    `target` (push mode: the cluster itself; the argocd engine: the hub)."""

    target: ClusterTarget
    namespace: str
    name: str

    @classmethod
    def in_cluster(cls, target: ClusterTarget, environment: str) -> RecordSite:
        return cls(target, RECORD_NAMESPACE, record_name(environment))


def push_sites(targets: Mapping[str, ClusterTarget], environment: str) -> dict[str, RecordSite]:
    """Each cluster's record in the cluster itself."""
    return {name: RecordSite.in_cluster(target, environment) for name, target in targets.items()}


def read_live(
    clients: KubeClients,
    cluster: ClusterTarget,
    environment: str,
    wanted: Collection[tuple[str, str]],
    *,
    refresh: bool = True,
) -> ClusterState:
    """The state of `cluster`; `wanted` are the (namespace, release) pairs whose objects are read."""
    helm = read_cluster_state(clients, cluster)
    api = ClusterApi(clients, cluster)
    records = read_verifications(api, RecordSite.in_cluster(cluster, environment))
    if not refresh:
        return ClusterState(cluster.name, helm.releases, None, records)
    refs = {
        obj.ref
        for key, live in helm.releases.items()
        if key in wanted
        for obj in manifest_objects(live.manifest, live.namespace)
    }
    return ClusterState(cluster.name, helm.releases, read_objects(api, refs), records)


def read_verifications(api: ClusterApi, site: RecordSite) -> dict[str, WaveVerification]:
    """The record at `site` (`api` reaches `site.target`)."""
    data = read_config_map(api, site.namespace, site.name)
    found = {}
    for key, text in data.items():
        if key.startswith(WAVE_KEY_PREFIX) and (record := WaveVerification.from_text(text)) is not None:
            found[record.wave] = record
    return found


def write_verification(clients: KubeClients, site: RecordSite, record: WaveVerification) -> None:
    """Record that `record.releases` passed the wave's gates; other releases of the wave
    keep what the record said of them."""
    earlier = read_verifications(ClusterApi(clients, site.target), site).get(record.wave)
    releases = {**(earlier.releases if earlier else {}), **record.releases}
    merged = WaveVerification(record.wave, record.verified_at, releases)
    key = WAVE_KEY_PREFIX + record.wave
    merge_config_map(clients, site.target, site.namespace, site.name, {key: merged.to_text()})
