"""`UrllibHttpProbe`: the `http` gate's probe (`gates.http.HttpProbe`) over urllib, run in a
worker thread.

Any HTTP answer is a result (status and body, 4xx and 5xx included); redirects are followed
(as by kubelet probes); no answer at all (refused, DNS, TLS, timeout) raises `ProbeError`.
Only http and https URLs are fetched; bodies are read up to 1 MiB and decoded leniently.
Proxies from the environment (`https_proxy`, `no_proxy`...) apply, as with curl.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from email.message import Message
from http.client import HTTPException
from typing import IO
from urllib.parse import urlsplit

from envman.gates.ports import ProbeError

MAX_BODY = 1 << 20
USER_AGENT = "envman-gate"


class UrllibHttpProbe:
    """GET with a total deadline of `timeout` seconds."""

    async def get(self, url: str, timeout: float) -> tuple[int, str]:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ProbeError(f"{url}: only http:// and https:// URLs can be probed")
        try:
            return await asyncio.wait_for(asyncio.to_thread(_fetch, url, timeout), timeout)
        except TimeoutError as exc:
            raise ProbeError(f"no answer within {timeout:g}s") from exc


def _fetch(url: str, timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _body(response, response.headers)
    except urllib.error.HTTPError as answer:
        return answer.code, _body(answer, answer.headers)
    except urllib.error.URLError as exc:
        raise ProbeError(str(exc.reason)) from exc
    except (HTTPException, OSError) as exc:
        raise ProbeError(str(exc) or type(exc).__name__) from exc


def _body(stream: IO[bytes], headers: Message) -> str:
    charset = headers.get_content_charset() or "utf-8"
    return stream.read(MAX_BODY).decode(charset, errors="replace")
