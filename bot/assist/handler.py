"""`/help` on an issue or pull request: answer with the list of commands."""

from __future__ import annotations

from bot.commands import parse_command
from bot.events import CREATED, Event
from bot.routing import Context, Router

router = Router()


@router.register("issue_comment", action=CREATED)
def on_issue_comment_created(event: Event, ctx: Context) -> None:
    """Queue the help reply when the comment is `/help`."""
    command = parse_command(str(event.get("comment", "body") or ""))
    number = event.get("issue", "number")
    if command is None or command.name != "help" or not isinstance(number, int) or not event.repo:
        return
    ctx.enqueue("bot.assist.jobs.reply_help", key=event.content_key, timeout=120, repo=event.repo, number=number, delivery_id=event.delivery_id)
