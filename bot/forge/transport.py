"""The HTTP edge of the Gitea client: one request with retries, pagination, streaming.

Retry policy: connect errors (the request never left) and 429 (Gitea refused it unprocessed)
are always retried; 5xx and read/write timeouts only when the request is safe to repeat, which
by default means every method except POST. Other 4xx are never retried.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from bot.forge.errors import ForgeConnectionError, error_from_response, redact_url, retry_after_of

log = logging.getLogger(__name__)

UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAX_RETRY_AFTER = 60.0
MAX_PAGES = 1000
PAGE_LIMIT = 50  # Gitea's default [api] MAX_RESPONSE_ITEMS

Params = Mapping[str, Any] | None


def next_page(link: str | None) -> int | None:
    """The page number of the rel="next" entry of a `Link` header, if any."""
    for part in (link or "").split(","):
        if re.search(r'rel="?next"?', part):
            match = re.search(r"[?&]page=(\d+)", part)
            return int(match[1]) if match else None
    return None


def clean_params(params: Params) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans spelled as Gitea expects."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else value
    return out


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes()
    finally:
        response.close()


class Transport:
    """Sends requests through one `httpx.Client`, retrying transient failures."""

    def __init__(self, http: httpx.Client, *, retries: int = 3, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    def request(self, method: str, path: str, *, params: Params = None, json: Any = None,
                safe: bool | None = None) -> httpx.Response:
        """Send one request and return the (read) response; raise ForgeError on failure."""
        request = self.http.build_request(method, path, params=clean_params(params), json=json)
        return self.send(request, safe=method.upper() != "POST" if safe is None else safe)

    def send(self, request: httpx.Request, *, safe: bool, stream: bool = False) -> httpx.Response:
        """Send with retries; a streamed response is returned open (the caller closes it)."""
        attempt = 0
        while True:
            try:
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt < self.retries and (safe or isinstance(exc, UNSENT)):
                    attempt = self._wait(request, attempt, type(exc).__name__, None)
                    continue
                raise ForgeConnectionError(self._unreachable(request, exc)) from exc
            if response.status_code < 400:
                return response
            if stream:
                response.read()
                response.close()
            retryable = response.status_code == 429 or (safe and response.status_code >= 500)
            if attempt < self.retries and retryable:
                attempt = self._wait(request, attempt, str(response.status_code), retry_after_of(response.headers))
                continue
            raise error_from_response(response)

    def stream(self, path: str, *, params: Params = None) -> Iterator[bytes]:
        """The body of a GET, in chunks as they arrive."""
        request = self.http.build_request("GET", path, params=clean_params(params))
        return _chunks(self.send(request, safe=True, stream=True))

    def paginate(self, path: str, params: Params = None) -> list[Any]:
        """All items of a REST list, following `Link: rel="next"` (or `X-Total-Count`, or full pages)."""
        items: list[Any] = []
        page = 1
        for _ in range(MAX_PAGES):
            response = self.request("GET", path, params={**(params or {}), "page": page, "limit": PAGE_LIMIT})
            batch = response.json() or []  # an empty repository's branch list is JSON null
            items.extend(batch)
            following = next_page(response.headers.get("Link"))
            total = int(response.headers.get("X-Total-Count") or 0)
            if following is None and batch and len(items) < total:
                following = page + 1
            headerless = "Link" not in response.headers and "X-Total-Count" not in response.headers
            if following is None and headerless and len(batch) >= PAGE_LIMIT:
                # Gitea 1.25's dependency list sends neither header: page until a short page
                following = page + 1
            if following is None or following <= page:
                break
            page = following
        return items

    def paginate_total(self, path: str, key: str, params: Params = None) -> list[Any]:
        """All items of an Actions list (`{"total_count": N, key: [...]}`), page by page."""
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            body = self.request("GET", path, params={**(params or {}), "page": page, "limit": PAGE_LIMIT}).json()
            batch = body.get(key) or []
            items.extend(batch)
            if not batch or len(items) >= int(body.get("total_count") or 0):
                break
        return items

    def _wait(self, request: httpx.Request, attempt: int, why: str, retry_after: float | None) -> int:
        delay = self.backoff * 2**attempt if retry_after is None else min(retry_after, MAX_RETRY_AFTER)
        log.warning("retrying %s %s after %s in %.1fs (attempt %d of %d)", request.method,
                    redact_url(str(request.url)), why, delay, attempt + 2, self.retries + 1)
        self.sleep(delay)
        return attempt + 1

    @staticmethod
    def _unreachable(request: httpx.Request, exc: Exception) -> str:
        url = redact_url(str(request.url))
        return (f"could not reach Gitea for {request.method} {url} ({type(exc).__name__}: {exc}): "
                "check TEABOT_GITEA_URL, that Gitea is running, and TEABOT_GITEA_TIMEOUT")
