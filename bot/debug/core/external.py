"""Commit statuses from external CI (Jenkins, Drone, Woodpecker …) as debug-session input.  PURE.

A failed commit status stands in for a failed run: `PipelineResult.from_status` makes it the same
value as a Gitea Actions run's result (its `context` names it, its `target_url` links it), so the
debugger's steps work on both. The log comes from the status's `target_url` (or a `log_url` template built from it) — only
from hosts the operator allowed (`TEABOT_CI_LOG_HOSTS`), so a status cannot point the bot at an
internal address. Statuses that Gitea Actions writes for its own jobs are not external.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from bot.forge.models import Status

ACTIONS_USER = "gitea-actions"  # the pseudo-user Gitea Actions writes commit statuses as
BOT_CONTEXT_PREFIX = "teabot"  # the bot's own statuses (e.g. "teabot/triage")
FAILED = frozenset({"failure", "error"})
PASSED = frozenset({"success", "warning"})
_ACTIONS_PATH = re.compile(r"/actions/runs/\d+")


class LogUnavailable(Exception):
    """The external CI's log cannot be read; the message says why (it is shown in the report)."""


def is_actions_status(status: Status) -> bool:
    """True for a status Gitea Actions wrote for one of its jobs (the workflow_run events cover those)."""
    if status.creator.lower() == ACTIONS_USER:
        return True
    return bool(_ACTIONS_PATH.search(urlsplit(status.target_url).path))


def is_external_result(status: Status, bot_login: str) -> bool:
    """True for a finished status of an external CI: not Actions', not the bot's, not pending."""
    if not status.context or status.context.lower().startswith(BOT_CONTEXT_PREFIX) or is_actions_status(status):
        return False
    if bot_login and status.creator.lower() == bot_login.lower():
        return False
    return status.state in FAILED | PASSED


def latest(statuses: Iterable[Status], context: str) -> Status | None:
    """The newest status of `context` (Gitea keeps every status; the highest id is the current one)."""
    return max((s for s in statuses if s.context == context), key=lambda s: s.id, default=None)


def listed_twin(delivered: Status, listed: Iterable[Status]) -> Status | None:
    """The statuses-API entry of a status a webhook delivered: same context, state and creation time.

    Gitea's status webhook carries the row id and a `target_url` made absolute (an empty one becomes
    ROOT_URL + "/"), the API the per-commit index and the URL as stored, with the creation time in
    the server's zone (services/webhook/notifier.go::CreateCommitStatus, services/convert/status.go::
    ToCommitStatus @v1.25.4); the newest match wins. None when nothing matches.
    """
    when = _instant(delivered.created_at)
    if when is None:
        return None
    same = [s for s in listed if (s.context, s.state) == (delivered.context, delivered.state)
            and _instant(s.created_at) == when]
    return max(same, key=lambda s: s.id, default=None)


def _instant(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def log_url(template: str, status: Status) -> str:
    """The log's address from the repo's `log_url` template ({target_url}, {sha}, {context}); '' when none."""
    if not status.target_url:
        return ""
    values = {"target_url": status.target_url, "target": status.target_url.rstrip("/"), "sha": status.sha,
              "context": status.context}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise LogUnavailable(f"debug.external_ci.log_url {template!r} is not a valid template ({exc!r}): "
                             "use {target_url}, {target}, {sha} and {context}") from None


def refusal(url: str, allowed_hosts: Iterable[str]) -> str | None:
    """Why `url` may not be fetched, or None when it may: http(s), no credentials, host allowed."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # `http://host:port:80/`, a port out of range: urlsplit only complains when asked
        return "its address has no valid port"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    if parts.username or parts.password:
        return f"the log URL of {parts.hostname} carries credentials; teabot does not send them"
    allowed = [h.strip().lower() for h in allowed_hosts if h.strip()]
    if not allowed:
        return "no CI log host is allowed: the operator lists them in TEABOT_CI_LOG_HOSTS"
    host = parts.hostname.lower()
    default = 443 if parts.scheme == "https" else 80
    # A host-only entry means that host on the scheme's default port only: `ci.example` never opens :6379.
    if (host in allowed or f"[{host}]" in allowed) and port == default:
        return None
    if f"{host}:{port}" in allowed or f"[{host}]:{port}" in allowed:
        return None
    return f"{host}:{port} is not in TEABOT_CI_LOG_HOSTS (a host without a port allows port {default} only)"
