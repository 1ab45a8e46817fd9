"""External CI for the debug agent: its log fetched from an allowed host, its statuses read from Gitea.

The log request is the one place the bot follows a URL that a third party chose, so it is fenced:
only hosts in `TEABOT_CI_LOG_HOSTS`, every redirect checked against the same list, no credentials
sent, a timeout, and at most `MAX_LOG_BYTES` kept (the tail, where failures are). An HTML build
page is reduced to its text. Anything that stops the fetch becomes a `LogUnavailable` whose
message the status comment shows.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from html.parser import HTMLParser

import httpx

from bot.debug.core.commits import is_bot_branch
from bot.debug.core.external import (FAILED, LogUnavailable, is_external_result, latest, listed_twin, log_url,
                                    refusal)
from bot.debug.core.pipeline import PipelineResult
from bot.debug.gitea import FailedRun, pull_for_commit
from bot.forge.client import GiteaClient
from bot.forge.models import Branch, Pull, Status
from bot.triage import triage
from bot.triage.shapes import Learned

log = logging.getLogger(__name__)
MAX_LOG_BYTES = 16 * 1024 * 1024
TIMEOUT_SECONDS = 15.0
DEADLINE_SECONDS = 30.0  # the whole fetch, redirects and a slow-drip body included
MAX_REDIRECTS = 3
READ_FACTOR = 8  # bytes read at most, as a multiple of the bytes kept


@dataclass(frozen=True)
class ExternalLogs:
    """How logs of external CI are read: the operator's host allow-list and the repo's URL template."""

    allowed_hosts: tuple[str, ...] = ()
    template: str = "{target_url}"
    timeout: float = TIMEOUT_SECONDS
    max_bytes: int = MAX_LOG_BYTES
    deadline: float = DEADLINE_SECONDS
    clock: Any = time.monotonic  # tests
    transport: httpx.BaseTransport | None = None  # tests

    def fetch(self, status: Status) -> bytes:
        """The log behind a status; LogUnavailable says why there is none."""
        url = log_url(self.template, status)
        until = self.clock() + self.deadline
        if not url:
            raise LogUnavailable("the status has no target_url to read a log from")
        with httpx.Client(timeout=min(self.timeout, self.deadline), follow_redirects=False, transport=self.transport,
                          headers={"Accept": "text/plain, text/html;q=0.8"}) as http:
            for _ in range(MAX_REDIRECTS + 1):
                why = refusal(url, self.allowed_hosts)
                if not why and self.clock() > until:
                    why = f"reading it took longer than {self.deadline:g} s in total"
                if why:
                    raise LogUnavailable(f"the log at {_shown(url)} was not read: {why}")
                try:
                    with http.stream("GET", url) as response:
                        if response.is_redirect and response.headers.get("location"):
                            url = str(response.url.join(response.headers["location"]))
                            continue
                        if response.status_code != 200:
                            raise LogUnavailable(f"the log at {_shown(url)} answered HTTP {response.status_code}")
                        body = _tail(_until(response.iter_bytes(), until, self.clock, self.deadline), self.max_bytes)
                        kind = response.headers.get("content-type", "")
                except httpx.HTTPError as exc:
                    raise LogUnavailable(f"the log at {_shown(url)} could not be read: {type(exc).__name__}") from None
                except LogUnavailable as exc:
                    raise LogUnavailable(f"the log at {_shown(url)} was not read: {exc}") from None
                return html_text(body) if "html" in kind.lower() else body
        raise LogUnavailable(f"the log at {_shown(url)} redirected more than {MAX_REDIRECTS} times")


def failed_status_run(logs: ExternalLogs, result: PipelineResult, learned: Learned | None = None) -> FailedRun:
    """Triage the log of a failed external status (`learned`: the repository's confirmed cause shapes)."""
    raw = logs.fetch(Status(result.run_id, context=result.workflow, sha=result.sha, target_url=result.url))
    return FailedRun(result, result.workflow, triage(raw, learned=learned), 0, result.workflow, raw)


def statuses(forge: GiteaClient, repo: str, sha: str) -> list[Status]:
    """The commit statuses of `sha`, every one Gitea keeps."""
    return [Status.from_api(status, sha=sha) for status in forge.list_statuses(repo, sha)] if sha else []


def as_listed(forge: GiteaClient, repo: str, delivered: Status) -> Status:
    """A delivered status with the `id` and `target_url` the statuses API shows, so a result found by a
    webhook and the same one found by a poll or sweep agree (unchanged when the API lacks it)."""
    twin = listed_twin(delivered, statuses(forge, repo, delivered.sha)) if delivered.created_at else None
    return replace(delivered, id=twin.id, target_url=twin.target_url) if twin else delivered


def commit_branch(forge: GiteaClient, repo: str, sha: str, *, branches: bool = True) -> tuple[str, Pull | None] | None:
    """The branch whose head is `sha` and its open pull request: a status names only the commit.

    Open pull requests first, then (with `branches`) every branch. A person's branch is preferred: a fix
    branch starts at the failing commit, so both may have it as head.
    """
    pull = pull_for_commit(forge, repo, sha)
    if pull is not None:
        return pull.head_ref, pull
    heads = [branch.name for branch in map(Branch.from_api, forge.list_branches(repo)) if branches and branch.sha == sha]
    return min(((name, None) for name in heads), key=lambda found: is_bot_branch(found[0]), default=None)


def current_status(forge: GiteaClient, repo: str, sha: str, context: str, *, branch: str = "") -> PipelineResult | None:
    """The newest finished status of `context` on `sha`, as a result (None while pending or absent)."""
    found = latest(statuses(forge, repo, sha), context)
    if found is None or found.state in ("pending", ""):
        return None
    return PipelineResult.from_status(repo, found, branch=branch)


def failed_statuses(forge: GiteaClient, repo: str, sha: str, bot_login: str, contexts: Iterable[str] = ()) -> list[Status]:
    """The external contexts whose current status on `sha` is a failure (all of them, or those in `contexts`)."""
    wanted, known = set(contexts), statuses(forge, repo, sha)
    found = []
    for context in sorted({s.context for s in known if s.context}):
        status = latest(known, context)
        if status and (not wanted or context in wanted) and is_external_result(status, bot_login) and status.state in FAILED:
            found.append(status)
    return found


def open_failures(forge: GiteaClient, repo: str, bot_login: str, contexts: Iterable[str] = ()) -> list[tuple[Pull, Status]]:
    """(pull request, failed status) for each open pull request whose head has a failed external status."""
    return [(pull, status) for pull in map(Pull.from_api, forge.list_pulls(repo, state="open"))
            for status in failed_statuses(forge, repo, pull.head_sha, bot_login, contexts)]


class _Text(HTMLParser):
    """Collects the text of an HTML page, without scripts and styles."""

    SKIP = frozenset({"script", "style", "noscript", "template"})
    BREAK = frozenset({"br", "p", "div", "li", "tr", "pre", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(body: bytes) -> bytes:
    """The visible text of an HTML page (a CI build page shows its console log in a <pre>)."""
    parser = _Text()
    parser.feed(body.decode("utf-8", errors="replace"))
    parser.close()
    lines = "".join(parser.parts).splitlines()
    return ("\n".join(line.rstrip() for line in lines if line.strip()) + "\n").encode()


def _tail(chunks: Iterable[bytes], limit: int) -> bytes:
    """The last `limit` bytes; a body of more than READ_FACTOR × `limit` bytes is not read to its end."""
    kept: deque[bytes] = deque()
    size = seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > READ_FACTOR * limit:
            raise LogUnavailable(f"the log is larger than {READ_FACTOR * limit:,} bytes")
        kept.append(chunk)
        size += len(chunk)
        while size - len(kept[0]) >= limit:
            size -= len(kept.popleft())
    return b"".join(kept)[-limit:]


def _until(chunks: Iterable[bytes], until: float, clock: Any, deadline: float) -> Iterable[bytes]:
    """The chunks while the total deadline holds; a server that drips bytes cannot hold a worker past it."""
    for chunk in chunks:
        if clock() > until:
            raise LogUnavailable(f"reading it took longer than {deadline:g} s in total")
        yield chunk


def _shown(url: str) -> str:
    """The URL without its query (which may carry tokens)."""
    return url.split("?", 1)[0]
