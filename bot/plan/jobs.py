"""The planning agent's jobs: `/plan`, `/plan <feedback>` and `/plan approve` on an issue."""

from __future__ import annotations

from bot.config.repo import ROLE_RANK
from bot.config.repo_files import repo_files
from bot.config.skills import bundled_skills
from bot.plan import agent as planner
from bot.plan.agent import PlanRequest
from bot.worker.jobs import job, refusal, role_of
from bot.worker.runtime import Runtime


@job("the planning command")
def plan_command(rt: Runtime, *, repo: str, number: int, login: str, command: str, args: str = "",
                 delivery_id: str = "") -> None:
    """Run `/plan`, `/plan <feedback>` or `/plan approve` on an issue."""
    client = rt.forge()
    files = repo_files(client, repo)
    config = files.config()
    role = role_of(client, repo, login)
    request = PlanRequest(repo, number, login, command, args)
    if not config.may("plan", role, login) or (request.mode == "approve" and ROLE_RANK.get(role, 0) < ROLE_RANK["write"]):
        client.create_comment(repo, number, refusal(command, args, login, repo))
        return
    playbook = files.playbook("plan")
    skills = {name: files.skill(name).instructions for name in bundled_skills()}
    planner.plan(request, forge=client, llm=rt.llm(playbook.budgets.tokens), bot_login=rt.bot_login(), playbook=playbook,
                 skills=skills)
