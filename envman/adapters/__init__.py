"""Side-effecting drivers (helm, kube, gates), each behind a small Protocol.

The rollout engine depends on the Protocols only; the CLI wires the real drivers in.
Import the driver modules directly (for example `envman.adapters.helm.driver`): this package
imports nothing, so loading one driver never pulls in another's libraries.
"""
