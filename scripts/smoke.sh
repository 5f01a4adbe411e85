#!/bin/sh
# Smoke test used by the `command` gate of environments/prod.yaml:
#   - command: {run: ["./scripts/smoke.sh", "{cluster}"], timeout: 1m}
# envman runs it once per cluster of the wave that was just synced, with "{cluster}"
# replaced by the cluster name. Exit 0 = gate passed; anything else = gate failed.
# This example only echoes; a real one would call the cluster's endpoints, e.g.
#   curl -fsS "https://api.$1.example.com/healthz"
set -eu
cluster="${1:?usage: smoke.sh CLUSTER}"
echo "smoke test: cluster ${cluster}: ok"
