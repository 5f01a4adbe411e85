"""Emulated Kubernetes clusters on loopback that real helm 3/4 and the kubernetes client use.

`manager` starts and controls the background process; `testing` runs one in-process for tests.
"""
