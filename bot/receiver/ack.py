"""Acknowledge a command within moments of its delivery: a 👀 reaction on the comment, posted by the web process.

The job workers may be busy for minutes, so the reaction is not a job: the web process that queued
the command's job posts it from a small thread pool right after answering Gitea. The job's own
comment is the answer; the reaction only says "seen, working on it".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.receiver.intake import Outcome
from bot.receiver.metrics import Metrics

log = logging.getLogger(__name__)
REACTION = "eyes"  # 👀, one of Gitea's default setting.UI.Reactions


@dataclass(frozen=True)
class AckTarget:
    """The comment to react to."""

    repo: str
    comment_id: int


def ack_target(headers: Mapping[str, str], body: bytes, outcome: Outcome) -> AckTarget | None:
    """The new comment of a delivery that queued work (a command), or None.  PURE."""
    if outcome.status != 202 or not outcome.message.startswith(("queued", "spooled")):
        return None
    if headers.get("X-Gitea-Event") != "issue_comment":  # also pull request comments (Event-Type differs)
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    comment = payload.get("comment") or {}
    repo = (payload.get("repository") or {}).get("full_name")
    if payload.get("action") != "created" or not repo or not isinstance(comment.get("id"), int):
        return None
    return AckTarget(str(repo), int(comment["id"]))


class Acknowledger:
    """Posts reactions off the request thread; a failure is logged and counted, never raised."""

    def __init__(self, react: Callable[[str, int, str], Any], metrics: Metrics, *, threads: int = 4,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.react = react
        self.metrics = metrics
        self.clock = clock
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="teabot-ack")

    def submit(self, target: AckTarget, received: float) -> Any:
        """Post the reaction soon; `received` is when the delivery arrived (clock time)."""
        return self.pool.submit(self._post, target, received)

    def _post(self, target: AckTarget, received: float) -> bool:
        try:
            self.react(target.repo, target.comment_id, REACTION)
        except Exception as exc:  # the command still runs: its job answers either way
            log.warning("could not acknowledge comment %s: %s", target.comment_id, exc, extra={"repo": target.repo})
            self.metrics.acks.labels(outcome="failed").inc()
            return False
        self.metrics.acks.labels(outcome="posted").inc()
        self.metrics.ack_seconds.observe(self.clock() - received)
        return True


def make_acknowledger(settings: Any, metrics: Metrics) -> Acknowledger | None:
    """An acknowledger acting as the bot user, or None without a token."""
    if not settings.gitea_token:
        return None
    from bot.forge import make_forge

    forge: list[Any] = []

    def react(repo: str, comment_id: int, content: str) -> Any:
        if not forge:  # built on first use: creating the app must not need Gitea
            forge.append(make_forge(settings.replace(gitea_retries=1, gitea_timeout=min(settings.gitea_timeout, 10.0))))
        return forge[0].add_comment_reaction(repo, comment_id, content)

    return Acknowledger(react, metrics)
