"""Gate kinds as plugins: each module holds one kind's spec model, the strings its
placeholders may appear in, where it runs (its scope) and its check; `registry` lists them.

The checks are pure logic over the `ports` Protocols (HTTP, Prometheus, commands, health,
helm test) and a `GateContext` the rollout engine provides; the real probes are adapters.
"""
