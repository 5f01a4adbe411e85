"""`PrometheusApi`: the `prometheus` gate's probe (`gates.prometheus.PrometheusQuery`) over
Prometheus' HTTP API (`/api/v1/query`).

An instant query must come back as a scalar, or as a vector of at most one sample (an empty
vector is "no data", None); several series are an error asking for an aggregation, as the
gate compares one value. Values keep Prometheus' spelling of NaN and infinities.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from envman.adapters.probes.http import UrllibHttpProbe
from envman.gates.http import HttpProbe
from envman.gates.ports import ProbeError


class PrometheusApi:
    """Instant queries through an `HttpProbe` (urllib by default)."""

    def __init__(self, http: HttpProbe | None = None) -> None:
        self._http = http or UrllibHttpProbe()

    async def query(self, base_url: str, promql: str, timeout: float) -> float | None:
        params = urlencode({"query": promql, "timeout": f"{max(math.ceil(timeout), 1)}s"})
        status, body = await self._http.get(f"{base_url.rstrip('/')}/api/v1/query?{params}", timeout)
        return parse_query_response(status, body)


def parse_query_response(status: int, body: str) -> float | None:
    """The single value of an instant query's answer; None when it has no sample."""
    doc = _json(status, body)
    if doc.get("status") != "success":
        raise ProbeError(
            f"prometheus answered {status}: {doc.get('errorType', 'error')}: {doc.get('error', body[:200])}"
        )
    data = doc.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return _number(result)
    if kind != "vector" or not isinstance(result, list):
        raise ProbeError(f"the query returned a {kind}, not a single number: use an instant vector or scalar")
    if not result:
        return None
    if len(result) > 1:
        raise ProbeError(f"the query returned {len(result)} series; aggregate them to one (sum, max, ...)")
    return _number(result[0].get("value"))


def _json(status: int, body: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise ProbeError(
            f"prometheus answered {status} with a body that is not JSON: {body[:200]!r}"
        ) from exc
    if not isinstance(doc, dict):
        raise ProbeError(f"prometheus answered {status} with unexpected JSON: {body[:200]!r}")
    return doc


def _number(sample: Any) -> float:
    try:
        return float(sample[1])
    except (TypeError, IndexError, ValueError) as exc:
        raise ProbeError(f"unexpected sample in the answer: {sample!r}") from exc
