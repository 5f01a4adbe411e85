"""envman: declarative environment manager for Helm releases across many Kubernetes clusters."""

__version__ = "0.1.0"
