"""The sandbox's own error type, raised by the manager API and the test helper."""

from __future__ import annotations

from envman.kit.errors import EnvmanError


class SandboxError(EnvmanError):
    """A sandbox could not be started, reached or changed; the message is one line."""
