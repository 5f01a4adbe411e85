"""The `argocd` engine's adapter (README, "Engines"): Argo CD applies, envman orchestrates.

`hub.HubApi` reads and writes the Applications in the hub's Argo CD namespace (server-side
apply under envman's field manager); `release_ops.ArgoReleaseOps` implements the engine's
`ReleaseOps` for one destination cluster through them (update the Application, start a
sync as `argocd app sync` does, wait for it); `health.ArgoHealth` is the health gate's port,
from each Application's health; `watcher.ArgoWatcher` fails fast on destinations the
kubeconfig can read."""
