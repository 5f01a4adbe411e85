"""The real probes of the gate kinds that need one (HTTP, Prometheus, commands), each
implementing its kind's Protocol; `application/gate_probes` wires them."""
