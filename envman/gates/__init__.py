"""Gate kinds as plugins: each module holds one kind's spec model, the strings its
placeholders may appear in, where it runs (its scope) and its check; `registry` lists them.

A kind that needs a probe declares it in its own module (the probe's Protocol and a typed
`ports.ProbeKey`); its check is pure logic over the `GateContext` the rollout engine provides
(`ctx.probe(self.probe)`, the engine's health and helm test, the clock). The real probes are
adapters (`envman.adapters.probes`), wired to the keys by the application (`gate_probes`).
"""
