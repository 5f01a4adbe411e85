"""An emulated Argo CD hub for the sandbox: a hub cluster serving Argo CD's own (vendored) CRDs,
cluster Secrets for the environment's sandbox clusters, and an application controller that
syncs Applications to them with the real helm (`hub` starts it, `controller` runs it)."""
