"""The planning agent's jobs: `/plan`, `/plan <feedback>` and `/plan approve` on an issue."""

from __future__ import annotations

from bot.config.repo import ROLE_RANK
from bot.config.repo_files import repo_files
from bot.config.skills import bundled_skills
from bot.events import BOT_MARKER
from bot.plan import agent as planner
from bot.plan.agent import PlanRequest
from bot.worker.caps import CallCounter, capped
from bot.worker.jobs import command_comment, job, refusal, role_of
from bot.worker.runtime import Runtime


@job("the planning command")
def plan_command(rt: Runtime, *, repo: str, number: int, login: str, command: str, args: str = "",
                 comment_id: int = 0, delivery_id: str = "") -> None:
    """Run `/plan`, `/plan <feedback>` or `/plan approve` on an issue, as the comment reads on Gitea now."""
    client = rt.forge()
    if comment_id:  # the author and text come from Gitea, never from the delivery
        found = command_comment(client, repo, number, comment_id, command)
        if found is None:
            return
        login, args = found[0], found[1].args
    files = repo_files(client, repo)
    config = files.config()
    role = role_of(client, repo, login)
    request = PlanRequest(repo, number, login, command, args)
    if not config.may("plan", role, login) or (request.mode == "approve" and ROLE_RANK.get(role, 0) < ROLE_RANK["write"]):
        client.create_comment(repo, number, refusal(command, args, login, repo))
        return
    playbook = files.playbook("plan")
    counter = CallCounter.for_limits(rt.counts(), repo, login, config.limits)
    llm = capped(rt.llm(playbook.budgets.tokens), counter)
    if llm is not None and (why := counter.refusal()):
        client.create_comment(repo, number, f"{BOT_MARKER}:capped -->\n{why}")
        return
    skills = {name: files.skill(name).instructions for name in bundled_skills()}
    planner.plan(request, forge=client, llm=llm, bot_login=rt.bot_login(), playbook=playbook, skills=skills,
                 plan_key=rt.settings.plan_key, signed_since=rt.settings.plan_signed_since)
