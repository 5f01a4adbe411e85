"""Real implementations of the rollout engine's gate-side ports: HTTP probe, Prometheus
query, command runner, clock and terminal prompt (stdlib only, plus click for the prompt)."""
