"""`/help`, `/summarize` and `/classify` on an issue: queue the reply."""

from __future__ import annotations

from bot.commands import parse_command
from bot.config.settings import Settings
from bot.events import CREATED, Event
from bot.llm.limits import max_call_seconds
from bot.routing import Context, Router

DISCUSSION_COMMANDS = ("summarize", "classify")
help_router = Router()
discussion_router = Router()


@help_router.register("issue_comment", action=CREATED)
def on_issue_comment_created(event: Event, ctx: Context) -> None:
    """Queue the help reply when the comment is `/help`."""
    command = parse_command(str(event.get("comment", "body") or ""))
    number = event.get("issue", "number")
    if command is None or command.name != "help" or not isinstance(number, int) or not event.repo:
        return
    ctx.enqueue("bot.assist.jobs.reply_help", key=event.content_key, timeout=120, repo=event.repo, number=number,
                comment_id=int(event.get("comment", "id") or 0), delivery_id=event.delivery_id)


@discussion_router.register("issue_comment", action=CREATED)
def on_discussion_comment_created(event: Event, ctx: Context) -> None:
    """Queue `/summarize` or `/classify` on an issue (not on a pull request)."""
    command = parse_command(str(event.get("comment", "body") or ""))
    number, login = event.get("issue", "number"), event.get("comment", "user", "login") or event.sender
    if command is None or command.name not in DISCUSSION_COMMANDS or event.is_pull:
        return
    if not isinstance(number, int) or not event.repo or not login:
        return
    ctx.enqueue("bot.assist.jobs.answer_discussion", key=event.content_key, timeout=discussion_timeout(ctx.settings),
                repo=event.repo, number=number, login=str(login), command=command.name,
                comment_id=int(event.get("comment", "id") or 0), delivery_id=event.delivery_id)


def discussion_timeout(settings: Settings) -> int:
    """Job timeout of `/summarize` or `/classify`: room for a model call and its repair, and the Gitea calls."""
    return int(2 * max_call_seconds(settings.model)) + 300


router = Router(help_router, discussion_router)
