"""The application layer: `Application` owns the repository, cluster targets, kube and helm
clients, resolved secrets and the one event loop of a command, and the use cases (plan,
render, diff, status, sync, rollback, unlock, promote) run on it. The CLI is thin over it."""
