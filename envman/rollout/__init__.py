"""The staged rollout of a plan (README, Sync): waves, gates, bake, rollback, report.

The engine depends only on the small Protocols of `ports`; the CLI wires real drivers in.
"""
