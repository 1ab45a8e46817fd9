"""Failed pipelines and `/debug`: queue the auto-debug agent's steps."""

from __future__ import annotations

from bot.commands import parse_command
from bot.debug.core.commits import is_bot_branch
from bot.debug.core.external import is_external_result
from bot.debug.core.settings import job_timeout
from bot.events import COMPLETED, CREATED, Event
from bot.forge.models import Status
from bot.routing import Context, Router
from bot.triage.feedback import parse_correction

router = Router()
STATUS_FIELDS = ("id", "sha", "context", "state", "description", "target_url", "created_at", "updated_at")


@router.register("workflow_run", action=COMPLETED)
def on_workflow_run_completed(event: Event, ctx: Context) -> None:
    """A run ended: resume a session waiting for it; open one when it failed."""
    run_id = event.get("workflow_run", "id")
    if not isinstance(run_id, int) or not event.repo:
        return
    ctx.enqueue("bot.debug.jobs.debug_run_completed", key=event.content_key, timeout=job_timeout(ctx.settings),
                repo=event.repo, run_id=run_id, delivery_id=event.delivery_id)


@router.register("workflow_job", action=COMPLETED)
def on_workflow_job_completed(event: Event, ctx: Context) -> None:
    """A job ended (Gitea 1.24 sends these but no workflow_run): a failure opens the run's session; a job of a
    fix branch's run may end the run a session waits for."""
    run_id, branch = event.get("workflow_job", "run_id"), str(event.get("workflow_job", "head_branch") or "")
    if not isinstance(run_id, int) or not event.repo:
        return
    if is_bot_branch(branch):
        ctx.enqueue("bot.debug.jobs.debug_run_completed", key=event.content_key, timeout=job_timeout(ctx.settings),
                    repo=event.repo, run_id=run_id, delivery_id=event.delivery_id)
        return
    if event.get("workflow_job", "conclusion") != "failure":
        return
    ctx.enqueue("bot.debug.jobs.debug_run", key=event.content_key, timeout=job_timeout(ctx.settings), repo=event.repo,
                run_id=run_id, trigger="workflow_job", delivery_id=event.delivery_id)


@router.register("status")
def on_status(event: Event, ctx: Context) -> None:
    """A commit status from external CI finished: resume or open a session (Actions' own statuses are skipped)."""
    status = {key: event.payload.get(key) for key in STATUS_FIELDS}
    status["sender"] = {"login": event.sender}
    status["commit"] = {"author": {"username": event.get("commit", "author", "username") or ""}}
    if not event.repo or not is_external_result(Status.from_api(status), ctx.settings.bot_login or ""):
        return
    ctx.enqueue("bot.debug.jobs.debug_status", key=event.content_key, timeout=job_timeout(ctx.settings), repo=event.repo,
                status=status, delivery_id=event.delivery_id)


@router.register("issue_comment", action=CREATED)
def on_debug_command(event: Event, ctx: Context) -> None:
    """`/debug [docs-folder]` on a pull request."""
    command = parse_command(str(event.get("comment", "body") or ""))
    number, login = event.get("issue", "number"), event.get("comment", "user", "login") or event.sender
    if command is None or command.name != "debug" or not event.is_pull or not isinstance(number, int):
        return
    ctx.enqueue("bot.debug.jobs.debug_pr", key=event.content_key, timeout=job_timeout(ctx.settings), repo=event.repo,
                number=number, login=str(login), docs_folder=command.words[0] if command.words else "",
                comment_id=int(event.get("comment", "id") or 0), delivery_id=event.delivery_id)


@router.register("issue_comment", action=CREATED)
def on_triage_correction(event: Event, ctx: Context) -> None:
    """`/triage lines …` or `/triage forget`, or a comment quoting lines of a triage excerpt, on an issue or PR."""
    body = str(event.get("comment", "body") or "")
    command = parse_command(body)
    number = event.get("issue", "number")
    if not isinstance(number, int) or not event.repo:
        return
    wanted = command.name == "triage" if command is not None else bool(parse_correction(body).lines)
    if not wanted:
        return
    ctx.enqueue("bot.debug.jobs.triage_correction", key=event.content_key, timeout=job_timeout(ctx.settings),
                repo=event.repo, number=number, comment_id=int(event.get("comment", "id") or 0),
                delivery_id=event.delivery_id)
