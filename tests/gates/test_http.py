"""The `http` kind on a fake of its probe: polling until the status and body match."""

from __future__ import annotations

from envman.gates.http import Http, HttpGate
from envman.gates.ports import GateResult
from envman.rollout.ports import Probes
from tests.gates.fakes import FakeGateContext, FakeHttp, check


def http_context(http: FakeHttp) -> FakeGateContext:
    return FakeGateContext(Probes().with_probe(Http.probe, http))


async def test_http_retries_until_healthy() -> None:
    """Moved from tests/rollout/test_engine_gates.py: no answer, two 503s, then a 200."""
    http = FakeHttp()
    url = "https://c1/healthz"
    http.script[url] = [-1, 503, 503, 200]
    ctx = http_context(http)

    result = await check(Http(), {"url": url}, ctx)

    assert (*result, ctx.time) == (GateResult.PASSED, f"GET {url}: status 200", 15.0)
    assert len(http.urls) == 4


async def test_http_timeout_fails_with_the_last_answer() -> None:
    """Moved from tests/rollout/test_engine_gates.py."""
    http = FakeHttp()
    http.status["https://c1/healthz"] = 503
    ctx = http_context(http)

    result, detail = await check(Http(), {"url": "https://c1/healthz"}, ctx)

    assert result == "failed" and ctx.time == 30.0
    assert detail.startswith("GET https://c1/healthz: status 503, expected 200 (still failing after 30.0s")


async def test_the_url_and_the_wanted_body_are_expanded_at_the_site() -> None:
    http = FakeHttp()
    http.body = "ready in prod"
    spec = {
        "url": "https://{cluster}.{region}/health",
        "bodyContains": "in {environment}",
        "expectStatus": 200,
    }

    result = await check(Http(), spec, http_context(http))

    assert result == (GateResult.PASSED, "GET https://c1.us-east-1/health: status 200")
    assert http.urls == ["https://c1.us-east-1/health"]


async def test_a_body_without_the_wanted_text_fails() -> None:
    http = FakeHttp()
    ctx = http_context(http)

    result = await check(Http(), {"url": "https://x/", "bodyContains": "ready", "timeout": "10s"}, ctx)

    assert result == (
        GateResult.FAILED,
        "GET https://x/: status 200 but the body does not contain 'ready' (still failing after 10.0s, 3 tries)",
    )


async def test_no_answer_is_a_failed_try() -> None:
    http = FakeHttp()
    http.status["https://x/"] = -1

    result = await check(Http(), {"url": "https://x/", "timeout": "1s"}, http_context(http))

    assert result == (
        GateResult.FAILED,
        "GET https://x/: connection refused (still failing after 1.0s, 2 tries)",
    )


def test_placeholders_may_be_in_the_url_and_the_wanted_body() -> None:
    assert Http().strings(HttpGate(url="https://{cluster}/", bodyContains="{wave}")) == (
        "https://{cluster}/",
        "{wave}",
    )
    assert Http().strings(HttpGate(url="https://x/")) == ("https://x/",)
