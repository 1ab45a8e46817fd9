"""Commit statuses from external CI (Jenkins, Drone, Woodpecker …) as debug-session input.  PURE.

A failed commit status stands in for a failed run: `status_run` gives it the shape of a Gitea
Actions run (its `context` names it, its `target_url` links it), so the debugger's steps work on
both. The log comes from the status's `target_url` (or a `log_url` template built from it) — only
from hosts the operator allowed (`TEABOT_CI_LOG_HOSTS`), so a status cannot point the bot at an
internal address. Statuses that Gitea Actions writes for its own jobs are not external.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

ACTIONS_USER = "gitea-actions"  # the pseudo-user Gitea Actions writes commit statuses as
BOT_CONTEXT_PREFIX = "teabot"  # the bot's own statuses (e.g. "teabot/triage")
FAILED = frozenset({"failure", "error"})
PASSED = frozenset({"success", "warning"})
_ACTIONS_PATH = re.compile(r"/actions/runs/\d+")


class LogUnavailable(Exception):
    """The external CI's log cannot be read; the message says why (it is shown in the report)."""


def state_of(status: Mapping[str, Any]) -> str:
    """A status's state: webhooks call the field `state`, the statuses API calls it `status`."""
    return str(status.get("state") or status.get("status") or "")


def is_actions_status(status: Mapping[str, Any]) -> bool:
    """True for a status Gitea Actions wrote for one of its jobs (the workflow_run events cover those)."""
    creator = status.get("creator") or status.get("sender") or {}
    if str(creator.get("login") or "").lower() == ACTIONS_USER:
        return True
    return bool(_ACTIONS_PATH.search(urlsplit(str(status.get("target_url") or "")).path))


def is_external_result(status: Mapping[str, Any], bot_login: str) -> bool:
    """True for a finished status of an external CI: not Actions', not the bot's, not pending."""
    context = str(status.get("context") or "")
    creator = status.get("creator") or status.get("sender") or {}
    if not context or context.lower().startswith(BOT_CONTEXT_PREFIX) or is_actions_status(status):
        return False
    if bot_login and str(creator.get("login") or "").lower() == bot_login.lower():
        return False
    return state_of(status) in FAILED | PASSED


def status_run(status: Mapping[str, Any], *, branch: str, author: str = "") -> dict[str, Any]:
    """The status in the shape of a run (the fields the debugger reads), marked by its `context`."""
    state = state_of(status)
    conclusion = "failure" if state in FAILED else "success" if state in PASSED else ""
    stamp = str(status.get("updated_at") or status.get("created_at") or "")
    return {"id": int(status.get("id") or 0), "run_number": int(status.get("id") or 0), "context": str(status["context"]),
            "head_branch": branch, "head_sha": str(status.get("sha") or ""), "html_url": str(status.get("target_url") or ""),
            "status": "completed" if conclusion else "in_progress", "conclusion": conclusion, "state": state,
            "description": str(status.get("description") or ""), "actor": {"login": author},
            "completed_at": stamp, "updated_at": stamp}


def is_status_run(run: Mapping[str, Any]) -> bool:
    """True for a run made by `status_run`."""
    return bool(run.get("context"))


def latest(statuses: Iterable[Mapping[str, Any]], context: str) -> Mapping[str, Any] | None:
    """The newest status of `context` (Gitea keeps every status; the highest id is the current one)."""
    found = [s for s in statuses if s.get("context") == context]
    return max(found, key=lambda s: int(s.get("id") or 0), default=None)


def log_url(template: str, status: Mapping[str, Any]) -> str:
    """The log's address from the repo's `log_url` template ({target_url}, {sha}, {context}); '' when none."""
    target = str(status.get("target_url") or "")
    if not target:
        return ""
    values = {"target_url": target, "target": target.rstrip("/"), "sha": str(status.get("sha") or ""),
              "context": str(status.get("context") or "")}
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
