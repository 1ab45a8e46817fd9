"""How long model calls may take: the worst case job timeouts must outlast, and the transport that holds it.

Kept apart from `client.py` so that the web process can size job timeouts without importing openai.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from bot.config.settings import ModelSettings

# Our retry loop honours a server's Retry-After of up to this many seconds between attempts.
MAX_RETRY_AFTER_SECONDS = 60.0


def max_call_seconds(settings: ModelSettings) -> float:
    """Worst-case seconds one `complete` call may take (every attempt ends at its deadline); a job's timeout must be longer."""
    attempts = settings.max_retries + 1
    return settings.timeout * attempts + MAX_RETRY_AFTER_SECONDS * settings.max_retries


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport that gives each request a total deadline: connect, wait and every body chunk.

    httpx's timeouts apply to each network operation, so a body that arrives one byte a second never
    times out; here each read's timeout is what remains of the budget, and the body stops at the deadline."""

    def __init__(self, total: float, inner: httpx.BaseTransport | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.inner = inner or httpx.HTTPTransport()
        self.clock = clock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` with at most `total` seconds for the whole exchange."""
        deadline = self.clock() + self.total
        remaining = max(0.001, self.total)
        timeouts = dict(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {k: min(v or remaining, remaining) for k, v in
                                         {**{"connect": None, "read": None, "write": None, "pool": None}, **timeouts}.items()}
        response = self.inner.handle_request(request)
        response.stream = _DeadlineStream(response.stream, deadline, self.clock, request)  # type: ignore[arg-type]
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


class _DeadlineStream(httpx.SyncByteStream):
    """A response body that raises ReadTimeout once the request's deadline has passed."""

    def __init__(self, stream: Any, deadline: float, clock: Callable[[], float], request: httpx.Request) -> None:
        self.stream, self.deadline, self.clock, self.request = stream, deadline, clock, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.stream:
            if self.clock() > self.deadline:
                raise httpx.ReadTimeout("the model endpoint's answer did not complete within the deadline", request=self.request)
            yield chunk

    def close(self) -> None:
        self.stream.close()
