"""Jobs of the small conversation commands: `/help`, `/summarize` and `/classify`."""

from __future__ import annotations

from bot.assist import agent as assistant
from bot.assist.agent import DiscussionRequest
from bot.commands import render_help
from bot.config.repo_files import load_repo_config, repo_files
from bot.events import BOT_MARKER
from bot.worker.jobs import job, refusal, role_of
from bot.worker.runtime import Runtime


@job("`/help`")
def reply_help(rt: Runtime, *, repo: str, number: int, delivery_id: str = "") -> None:
    """Answer `/help` with the commands enabled on this repository."""
    client = rt.forge()
    config = load_repo_config(client, repo)
    if "help" in config.enabled_commands():
        client.create_comment(repo, number, f"{BOT_MARKER}:help -->\n{render_help(config.enabled_commands())}")


@job("the planning command")  # SPEC §2 counts /summarize and /classify among the planning commands
def answer_discussion(rt: Runtime, *, repo: str, number: int, login: str, command: str, delivery_id: str = "") -> None:
    """Run `/summarize` or `/classify` on an issue, when the repository lets `login` do so."""
    client = rt.forge()
    files = repo_files(client, repo)
    if not files.config().may(command, role_of(client, repo, login), login):
        client.create_comment(repo, number, refusal(command, "", login, repo))
        return
    budget = files.playbook("plan").budgets.tokens  # the planning playbook's budget covers its thread commands
    assistant.discuss(DiscussionRequest(repo, number, login, command), forge=client, llm=rt.llm(budget),
                      bot_login=rt.bot_login(), skills={command: files.skill(command).instructions})
