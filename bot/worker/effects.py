"""Side effects that happen once even when a job runs again (a retry, a job restored after a crash).

A job may post a comment and then die before rq records that it finished; the job then runs again.
Each comment a job posts carries a hidden key (the job id and the comment's rank in the job). When
the job may have run before (`verify`: a retry, a job restored after a crash, a job the receiver's
journal submitted again after Redis lost it), the issue's comments are searched for that key before
posting: the state that decides is Gitea's own, so it survives the loss of Redis and of the worker.
A first run posts without searching, so the common path costs nothing.

An issue is opened once the same way, but found by what it says: a job that may have run before
looks among the bot's issues for one with the same title and body before it opens one (issue bodies
carry no effect marker, so plan tickets, which are compared by body, stay as the planner wrote them).
Pull requests, branches, labels and dependency links are reconciled by the agents themselves (the
fix branch's pull request is looked for first; plan tickets, their labels and links are matched by
the plan's own markers).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from bot.forge.client import GiteaClient, repo_path

log = logging.getLogger(__name__)
PAGE_SIZE = 50  # Gitea's default MaxResponseItems
MAX_PAGES = 200


def effect_marker(key: str) -> str:
    """The hidden line that identifies one side effect in a comment body."""
    return f"<!-- teabot-effect {key} -->"


def post_once(client: GiteaClient, repo: str, number: int, body: str, key: str) -> dict[str, Any]:
    """Post `body` on repo#number unless a comment carrying `key` is already there; return the comment."""
    marker = effect_marker(key)
    for comment in _comments(client, repo, number):
        if marker in str(comment.get("body") or ""):
            log.info("comment %s already posted on %s#%s: not posting it again", key, repo, number)
            return comment
    return client.create_comment(repo, number, f"{body}\n{marker}")


def _comments(client: GiteaClient, repo: str, number: int) -> Iterator[dict[str, Any]]:
    """Every comment of an issue, page by page, stopping at a short page or a page already seen."""
    seen: set[Any] = set()
    for page in range(1, MAX_PAGES + 1):
        batch = client.transport.request("GET", f"{repo_path(repo)}/issues/{number}/comments",
                                         params={"page": page, "limit": PAGE_SIZE}).json() or []
        fresh = [c for c in batch if c.get("id") not in seen]
        yield from fresh
        if len(batch) < PAGE_SIZE or not fresh:
            return
        seen.update(c.get("id") for c in fresh)


class OnceForge:
    """A Gitea client for one job run: `create_comment` posts each of the job's comments at most once."""

    def __init__(self, client: GiteaClient, job_id: str, *, verify: bool = True) -> None:
        self._client = client
        self._job_id = job_id
        self._verify = verify
        self._count = 0
        self._lock = threading.Lock()

    def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        """Post the job's next comment, unless an earlier run of the job already posted it."""
        with self._lock:
            self._count += 1
            rank = self._count
        key = f"{self._job_id}/{rank}"
        if not self._verify:
            return self._client.create_comment(repo, number, f"{body}\n{effect_marker(key)}")
        return post_once(self._client, repo, number, body, key)

    def create_issue(self, repo: str, title: str, body: str = "", **options: Any) -> dict[str, Any]:
        """Open an issue, unless an earlier run of the job already opened the same one (same title and body)."""
        if self._verify:
            login = str(self._client.current_user().get("login") or "")
            for issue in self._client.list_issues(repo, state="all", type="issues"):
                if (issue.get("title") == title and (issue.get("body") or "") == body
                        and str((issue.get("user") or {}).get("login") or "") == login):
                    log.info("issue %r already opened on %s as #%s: not opening it again", title, repo, issue.get("number"))
                    return issue
        return self._client.create_issue(repo, title, body, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
