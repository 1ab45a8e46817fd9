"""What every job shares: the runtime as its first argument, failure semantics, and who may ask.

A job body is assembly only: take the clients from the `Runtime`, call an agent, report. The `job`
decorator gives every job the same failure semantics: transient errors (Gitea 5xx, timeouts, model
rate limits) are left to the queue's retries; permanent ones cancel the remaining retries. The
queue tells the human on the final failure (`bot.worker.failures`), once, whatever the number of tries.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from rq import get_current_job
from rq.job import Job

from bot.commands import Command, parse_command
from bot.config.settings import ConfigError
from bot.events import BOT_MARKER
from bot.forge.client import GiteaClient
from bot.forge.errors import Forbidden, NotFound
from bot.forge.models import Comment
from bot.worker.queues import is_transient, running_again, running_job
from bot.worker.runtime import Runtime, current

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def job(what: str) -> Callable[[Callable[Concatenate[Runtime, P], R]], Callable[P, R]]:
    """Decorate a job `func(runtime, **kwargs)`: run it with this process's runtime (its comments posted once
    per job id), and fail fast on permanent errors. `what` names the work in the failure comment, which the
    queue posts once, after the last try (`bot.worker.failures`)."""

    def decorate(func: Callable[Concatenate[Runtime, P], R]) -> Callable[P, R]:
        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            rq_job = get_current_job()
            job_id = rq_job.id if rq_job else running_job.get()
            extra = {"job_id": job_id or "", "repo": kwargs.get("repo", ""), "delivery_id": kwargs.get("delivery_id", "")}
            runtime = current()
            rerun = ran_before(runtime, rq_job) if rq_job else running_again.get()
            try:
                return func(runtime.for_job(job_id, rerun=rerun) if job_id else runtime, *args, **kwargs)
            except Exception as exc:
                transient = is_transient(exc)
                if rq_job is not None and not transient:
                    rq_job.retries_left = 0  # permanent: no point in retrying, straight to the failed registry
                log.error("%s failed (%s): %s", what, "transient" if transient else "permanent", exc, extra=extra)
                if job_id is None:  # called directly (an Actions step): no queue will retry it or tell anyone
                    from bot.worker.failures import tell

                    tell(runtime, f"{func.__module__}.{func.__name__}", dict(kwargs), "", str(exc) or type(exc).__name__)
                raise

        run.what = what  # type: ignore[attr-defined]  # read by bot.worker.failures for the comment
        return run

    return decorate


def ran_before(runtime: Runtime, rq_job: Job) -> bool:
    """True when this rq job may have run before: a retry, a job restored after a crash, or one submitted again.

    Each run counts itself in Redis; a count kept in a Redis that lost it comes back as a job the receiver
    submitted again, which carries `recovered` in its meta."""
    if rq_job.meta.get("recovered") or rq_job.number_of_retries:
        return True
    if runtime.redis is None:
        return True  # nowhere to count: look before posting
    key = f"teabot:runs:{rq_job.id}"
    with runtime.redis.pipeline() as pipe:
        runs, _ = pipe.incr(key).expire(key, runtime.settings.dedupe_ttl).execute()
    return int(runs) > 1


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
    comment = comment_on(client, repo, number, comment_id)
    command = parse_command(comment.body) if comment is not None else None
    if comment is None or command is None or command.name != name or not comment.author:
        return None
    return comment.author, command


def comment_on(client: GiteaClient, repo: str, number: int, comment_id: int) -> Comment | None:
    """Comment `comment_id` as Gitea has it now, when it is still there and on issue or pull request `number`."""
    try:
        data = client.get_comment(repo, comment_id)
    except NotFound:
        return None
    where = str(data.get("issue_url") or data.get("pull_request_url") or "").rstrip("/")
    return None if where and not where.endswith(f"/{number}") else Comment.from_api(data)
