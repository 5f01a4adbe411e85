"""Desired state of an environment: per-cluster values, the app dependency graph, waves, plans.

Pure core: no cluster, helm or network access.
"""
