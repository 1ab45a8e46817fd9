"""Acknowledge work within moments of its delivery, from the web process.

A command gets a 👀 reaction on its comment. A failed pipeline that will open an auto-debug session
gets a pending `teabot/debug` commit status on the failed commit ("teabot is looking into this
failure", linking to the run), which the session then replaces with where it stands and, at the
end, its outcome (`bot.debug.sessions`); a job that opens no session settles it with the reason.

The job workers may be busy for minutes, so an acknowledgement is not a job: the web process that
queued the job posts it from a small thread pool right after answering Gitea.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.debug.core.commits import is_bot_branch
from bot.debug.core.external import FAILED, is_external_result
from bot.debug.core.report import ACK_DESCRIPTION, STATUS_CONTEXT
from bot.debug.core.settings import left_out
from bot.forge.models import Run, Status
from bot.receiver.intake import Outcome
from bot.receiver.metrics import Metrics

log = logging.getLogger(__name__)
REACTION = "eyes"  # 👀, one of Gitea's default setting.UI.Reactions


@dataclass(frozen=True)
class AckTarget:
    """The comment to react to."""

    repo: str
    comment_id: int


@dataclass(frozen=True)
class FailureTarget:
    """A failed pipeline whose job may open an auto-debug session: the commit to mark as being looked into."""

    repo: str
    sha: str
    url: str  # the run or build the status links to
    actor: str = ""  # who started the run: the bot's own runs belong to its sessions
    workflow: str = ""  # the workflow file ("ci.yml"), or the external status's context
    external: bool = False


def ack_target(headers: Mapping[str, str], body: bytes, outcome: Outcome) -> AckTarget | FailureTarget | None:
    """What to acknowledge for a delivery that queued work: a command's comment, a failed pipeline, or None.  PURE."""
    if outcome.status != 202 or not outcome.message.startswith(("queued", "spooled")):
        return None
    event = headers.get("X-Gitea-Event")
    if event not in ("issue_comment", "workflow_run", "workflow_job", "status"):
        return None  # issue_comment covers pull request comments too (Event-Type differs)
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    if event != "issue_comment":
        return failure_target(event, payload)
    comment = payload.get("comment") or {}
    repo = (payload.get("repository") or {}).get("full_name")
    if payload.get("action") != "created" or not repo or not isinstance(comment.get("id"), int):
        return None
    return AckTarget(str(repo), int(comment["id"]))


def failure_target(event: str, payload: dict[str, Any]) -> FailureTarget | None:
    """The failed commit of a `workflow_run`, `workflow_job` or external `status` delivery, or None.  PURE.

    Runs of the bot's fix branches are left out here; those of its pull requests (which name no
    branch) are known by their actor, which the acknowledger compares with the bot's login.
    """
    repo = str((payload.get("repository") or {}).get("full_name") or "")
    if not repo:
        return None
    if event == "status":
        status = Status.from_api(payload)
        if status.state not in FAILED or not status.sha or not is_external_result(status, ""):
            return None
        return FailureTarget(repo, status.sha, status.target_url, status.creator, status.context, external=True)
    if payload.get("action") != "completed":
        return None
    found = payload.get(event)
    if not isinstance(found, dict) or found.get("conclusion") != "failure":
        return None
    if event == "workflow_job":  # a job names its run's branch and commit, not the workflow file
        branch, sha = str(found.get("head_branch") or ""), str(found.get("head_sha") or "")
        if is_bot_branch(branch) or not sha:
            return None
        return FailureTarget(repo, sha, str(found.get("html_url") or ""))
    run = Run.from_api(found)
    if is_bot_branch(run.head_branch) or not run.head_sha:
        return None
    return FailureTarget(repo, run.head_sha, run.html_url, run.triggered_by, run.workflow)


class Acknowledger:
    """Posts acknowledgements off the request thread; a failure is logged and counted, never raised.

    `react(repo, comment_id, content)` reacts to a comment; `mark(target)` sets the pending status of a
    failed commit and returns False when there is nothing to mark (not the bot's to debug, or marked).
    """

    def __init__(self, react: Callable[[str, int, str], Any], metrics: Metrics, *, threads: int = 4,
                 clock: Callable[[], float] = time.monotonic,
                 mark: Callable[[FailureTarget], bool] | None = None) -> None:
        self.react = react
        self.mark = mark
        self.metrics = metrics
        self.clock = clock
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="teabot-ack")

    def submit(self, target: AckTarget | FailureTarget, received: float) -> Any:
        """Acknowledge soon; `received` is when the delivery arrived (clock time)."""
        return self.pool.submit(self._post, target, received)

    def _post(self, target: AckTarget | FailureTarget, received: float) -> bool:
        try:
            if isinstance(target, AckTarget):
                self.react(target.repo, target.comment_id, REACTION)
            elif self.mark is None or not self.mark(target):
                self.metrics.acks.labels(outcome="skipped").inc()
                return False
        except Exception as exc:  # the work still runs: its job answers either way
            log.warning("could not acknowledge %s: %s", target, exc, extra={"repo": target.repo})
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

    def client() -> Any:
        if not forge:  # built on first use: creating the app must not need Gitea
            forge.append(make_forge(settings.replace(gitea_retries=1, gitea_timeout=min(settings.gitea_timeout, 10.0))))
        return forge[0]

    def react(repo: str, comment_id: int, content: str) -> Any:
        return client().add_comment_reaction(repo, comment_id, content)

    return Acknowledger(react, metrics, mark=FailureMarker(client, settings.bot_login))


class FailureMarker:
    """Marks a failed commit as being looked into, when the repository's auto-debug would take it.

    The repository's `.gitea/teabot.yaml` is read (cached a minute) so that a repository with
    auto-debug off, or a workflow it leaves out, gets no status; a commit that already has a
    `teabot/debug` status (another delivery of the same failure, or a session) keeps it.
    """

    def __init__(self, client: Callable[[], Any], bot_login: str = "", *, ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.bot_login, self.ttl, self.clock = client, bot_login, ttl, clock
        self._configs: dict[str, tuple[float, Any]] = {}

    def __call__(self, target: FailureTarget) -> bool:
        forge = self.client()
        if target.actor and target.actor.lower() == self._login(forge).lower():
            return False  # a run the bot started: its session reports on the commit that failed first
        if not self._wanted(forge, target):
            return False
        if any(Status.from_api(s).context == STATUS_CONTEXT for s in forge.list_statuses(target.repo, target.sha)):
            return False
        forge.create_status(target.repo, target.sha, "pending", STATUS_CONTEXT, ACK_DESCRIPTION, target_url=target.url)
        return True

    def _login(self, forge: Any) -> str:
        if not self.bot_login:
            self.bot_login = str(forge.current_user().get("login") or "")
        return self.bot_login

    def _wanted(self, forge: Any, target: FailureTarget) -> bool:
        """Would the repository's settings let this failure open a session? (A broken file: no, its job says why.)"""
        from bot.config.repo_files import RepoFileError, load_repo_config

        at, config = self._configs.get(target.repo, (0.0, None))
        if config is None or self.clock() - at > self.ttl:
            try:
                config = load_repo_config(forge, target.repo)
            except RepoFileError:
                return False
            self._configs[target.repo] = (self.clock(), config)
        workflow = target.workflow or (None if not target.external else "")  # a job names no workflow file
        trigger = "status" if target.external else "workflow_run"
        return not left_out(config.debug, workflow, external=target.external, trigger=trigger)
