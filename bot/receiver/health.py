"""What /healthz reports beyond "the process answers": live workers and whether Gitea accepts the token.

Both answers are cached (`ttl` seconds) so a health probe every few seconds costs Gitea and Redis
at most one request a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.config.settings import Settings


@dataclass(frozen=True)
class TokenState:
    """Whether Gitea accepts TEABOT_GITEA_TOKEN: "valid", "rejected", "unset" or "unknown" (Gitea unreachable)."""

    state: str
    login: str | None = None
    detail: str = ""


def token_state(settings: Settings, transport: Any = None) -> TokenState:
    """Ask Gitea who the token belongs to (GET /user)."""
    if not settings.gitea_token:
        return TokenState("unset", detail="TEABOT_GITEA_TOKEN is not set")
    from bot.forge import make_forge
    from bot.forge.errors import ForgeError, Unauthorized

    quick = settings.replace(gitea_retries=0, gitea_timeout=min(settings.gitea_timeout, 5.0))
    try:
        login = str(make_forge(quick, transport=transport).current_user()["login"])
    except Unauthorized:
        return TokenState("rejected", detail="Gitea answers 401: generate a new token for the bot user and set "
                                             "TEABOT_GITEA_TOKEN")
    except ForgeError as exc:
        return TokenState("unknown", detail=f"GET /user failed: {exc}")
    return TokenState("valid", login)


def live_workers(queue: Any) -> int | None:
    """How many rq workers serve `queue` (by their heartbeats); None for the embedded queue or when Redis is down."""
    rq_queue = getattr(queue, "rq", None)
    if rq_queue is None:  # embedded: the jobs run in this very process, which is answering
        return None
    from rq import Worker

    try:
        return len(Worker.all(connection=rq_queue.connection, queue=rq_queue))
    except Exception:  # Redis down: the queue check already says so
        return None


class Cached:
    """A value recomputed at most every `ttl` seconds (thread-safe; gthread workers share it)."""

    def __init__(self, compute: Callable[[], Any], ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.compute, self.ttl, self.clock = compute, ttl, clock
        self._lock = threading.Lock()
        self._value: Any = None
        self._at: float | None = None

    def get(self) -> Any:
        """The cached value, refreshed when older than the ttl."""
        with self._lock:
            if self._at is None or self.clock() - self._at >= self.ttl:
                self._value, self._at = self.compute(), self.clock()
            return self._value


class Health:
    """The receiver's view of its surroundings for /healthz."""

    def __init__(self, settings: Settings, queue: Any, *, ttl: float = 60.0, transport: Any = None) -> None:
        self.queue = queue
        self.token = Cached(lambda: token_state(settings, transport), ttl)
        self.workers = Cached(lambda: live_workers(queue), min(ttl, 15.0))

    def report(self) -> dict[str, Any]:
        """The health body: "ok", or "degraded: <every reason>"."""
        queue_ok = self.queue.ping()
        token: TokenState = self.token.get()
        workers = self.workers.get() if queue_ok else None
        problems = []
        if not queue_ok:
            problems.append("the queue is unreachable (deliveries are spooled until it is back)")
        elif workers == 0:
            problems.append("no worker serves the queue (start `teabot worker`)")
        if token.state != "valid":
            problems.append(f"token {token.state}: {token.detail}")
        return {"status": "degraded: " + "; ".join(problems) if problems else "ok", "queue_ok": queue_ok,
                "workers": workers, "gitea_token": token.state, "bot_login": token.login}
