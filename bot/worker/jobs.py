"""What every job shares: the runtime as its first argument, failure semantics, and who may ask.

A job body is assembly only: take the clients from the `Runtime`, call an agent, report. The `job`
decorator gives every job the same failure semantics: transient errors (Gitea 5xx, timeouts, model
rate limits) are left to the queue's retries; permanent ones cancel the remaining retries, and on
the final failure the human who asked is told what failed and how to run it again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from rq import get_current_job

from bot.commands import Command, parse_command
from bot.config.settings import ConfigError
from bot.events import BOT_MARKER
from bot.forge.client import GiteaClient
from bot.forge.errors import Forbidden, NotFound
from bot.forge.models import Comment
from bot.redact import redact
from bot.worker.queues import is_transient
from bot.worker.runtime import Runtime, current

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def job(what: str) -> Callable[[Callable[Concatenate[Runtime, P], R]], Callable[P, R]]:
    """Decorate a job `func(runtime, **kwargs)`: run it with this process's runtime, fail fast on permanent
    errors, and tell the human on the final failure. `what` names the work in that message."""

    def decorate(func: Callable[Concatenate[Runtime, P], R]) -> Callable[P, R]:
        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            runtime = current()
            rq_job = get_current_job()
            extra = {"job_id": rq_job.id if rq_job else "", "repo": kwargs.get("repo", ""),
                     "delivery_id": kwargs.get("delivery_id", "")}
            try:
                return func(runtime, *args, **kwargs)
            except Exception as exc:
                final = not is_transient(exc) or rq_job is None or not rq_job.retries_left
                if rq_job is not None and not is_transient(exc):
                    rq_job.retries_left = 0  # permanent: no point in retrying, straight to the failed registry
                log.error("%s failed (%s): %s", what, "final" if final else "will retry", exc, extra=extra)
                repo, number = kwargs.get("repo"), kwargs.get("number")
                if final and isinstance(repo, str) and isinstance(number, int):
                    tell_failure(runtime, what, repo, number, exc, rq_job.id if rq_job else None)
                raise

        return run

    return decorate


def tell_failure(runtime: Runtime, what: str, repo: str, number: int, exc: Exception, job_id: str | None) -> None:
    """Say on the issue or pull request that `what` failed, why, and how to run it again."""
    how = f"comment the command again, or ask an operator to run `rq requeue {job_id}`" if job_id else "comment the command again"
    body = f"{BOT_MARKER}:error -->\n:warning: teabot could not finish {what}: {redact(str(exc))}\n\nTo run it again, {how}."
    try:
        runtime.forge().create_comment(repo, number, body)
    except Exception as report_exc:  # reporting is best effort; the job's own error is what matters
        log.error("could not report the failure on %s#%s: %s", repo, number, report_exc)


def role_of(client: GiteaClient, repo: str, login: str) -> str:
    """A user's permission on `repo`; Gitea lets only repository admins read other users' permissions."""
    try:
        return client.collaborator_permission(repo, login)
    except Forbidden as exc:
        raise ConfigError(f"the bot user cannot read @{login}'s permission on {repo} ({exc}): give the bot user "
                          "Admin access to the repository, so it can check who may run commands") from None


def refusal(command: str, args: str, login: str, repo: str) -> str:
    """The comment that tells `login` their permission is not enough for the command."""
    usage = f"/{command} {args}".strip() if command == "plan" and args.strip().lower() == "approve" else f"/{command}"
    return f"{BOT_MARKER}:refused -->\n@{login}: `{usage}` needs more access to {repo} than you have; ask a maintainer."


def command_comment(client: GiteaClient, repo: str, number: int, comment_id: int,
                    name: str) -> tuple[str, Command] | None:
    """The author and `/name` command of comment `comment_id` as Gitea has it NOW.

    The delivery's `comment.user` and `comment.body` are never trusted (anyone holding the webhook
    secret can write them). None when the comment was deleted, belongs to another issue, or no longer
    holds the command (edited since): then the job does nothing.
    """
    try:
        data = client.get_comment(repo, comment_id)
    except NotFound:
        return None
    comment = Comment.from_api(data)
    where = str(data.get("issue_url") or data.get("pull_request_url") or "").rstrip("/")
    if where and not where.endswith(f"/{number}"):
        return None
    command = parse_command(comment.body)
    if command is None or command.name != name or not comment.author:
        return None
    return comment.author, command
