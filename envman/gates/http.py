"""`http`: GETs a URL until the status (and `bodyContains`) match or its timeout ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from envman.gates.kind import GateKind, GateSite, Outcome, poll_until
from envman.gates.ports import Deployed, GateContext, ProbeKey
from envman.kit.errors import EnvmanError
from envman.kit.strict import Duration, Strict


class HttpProbe(Protocol):
    async def get(self, url: str, timeout: float) -> tuple[int, str]:
        """GET `url`: (status, body) for any HTTP answer; `ProbeError` when there is none."""
        ...


class HttpGate(Strict):
    """An HTTP GET that must answer with `expectStatus` (and `bodyContains`)."""

    url: str
    """URL to GET, polled until it answers as expected."""
    expectStatus: int = 200
    """The status code that passes."""
    bodyContains: str | None = None
    """Text the body must contain."""
    timeout: Duration = 30.0
    """How long to keep polling."""


class Http(GateKind[HttpGate]):
    name = "http"
    config = HttpGate
    probe = ProbeKey[HttpProbe]("http")

    def strings(self, config: HttpGate) -> tuple[str, ...]:
        return (config.url, *((config.bodyContains,) if config.bodyContains else ()))

    async def check(
        self, config: HttpGate, site: GateSite, deployed: Sequence[Deployed], ctx: GateContext
    ) -> Outcome:
        http = ctx.probe(self.probe)
        return await poll_until(ctx, config.timeout, lambda left: _get_once(http, config, site, left))


async def _get_once(http: HttpProbe, config: HttpGate, site: GateSite, timeout: float) -> tuple[bool, str]:
    url = site.expand(config.url)
    try:
        status, body = await http.get(url, timeout)
    except EnvmanError as exc:
        return False, f"GET {url}: {exc}"
    if status != config.expectStatus:
        return False, f"GET {url}: status {status}, expected {config.expectStatus}"
    wanted = site.expand(config.bodyContains) if config.bodyContains else None
    if wanted is not None and wanted not in body:
        return False, f"GET {url}: status {status} but the body does not contain {wanted!r}"
    return True, f"GET {url}: status {status}"
