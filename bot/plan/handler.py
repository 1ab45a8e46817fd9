"""`/plan` on an issue: queue the planning job."""

from __future__ import annotations

from bot.commands import parse_command
from bot.config.settings import Settings
from bot.events import CREATED, Event
from bot.llm.limits import max_call_seconds
from bot.routing import Context, Router

router = Router()


@router.register("issue_comment", action=CREATED)
def on_issue_comment_created(event: Event, ctx: Context) -> None:
    """Queue the planning job for `/plan …` on an issue (not on a pull request)."""
    command = parse_command(str(event.get("comment", "body") or ""))
    number, login = event.get("issue", "number"), event.get("comment", "user", "login") or event.sender
    if command is None or command.name != "plan" or event.is_pull:
        return
    if not isinstance(number, int) or not event.repo or not login:
        return
    ctx.enqueue("bot.plan.jobs.plan_command", key=event.content_key, timeout=planning_timeout(ctx.settings),
                repo=event.repo, number=number, login=str(login), command=command.name, args=command.args,
                comment_id=int(event.get("comment", "id") or 0), delivery_id=event.delivery_id)


def planning_timeout(settings: Settings) -> int:
    """Job timeout of a planning command: room for its model calls (draft, repair, stories) and Gitea calls."""
    return int(4 * max_call_seconds(settings.model)) + 300
