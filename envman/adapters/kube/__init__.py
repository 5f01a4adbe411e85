"""The kubernetes client: API clients per kubeconfig context (`client`), helm's release
storage, live objects, workload health, the watcher of fail fast and the Lease lock."""
