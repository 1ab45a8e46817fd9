"""Jobs of the small conversation commands: `/help`, `/summarize` and `/classify`."""

from __future__ import annotations

from bot.assist import agent as assistant
from bot.assist.agent import DiscussionRequest
from bot.commands import render_help
from bot.config.repo_files import load_repo_config, repo_files
from bot.events import BOT_MARKER
from bot.worker.caps import CallCounter, capped
from bot.worker.jobs import command_comment, job, refusal, role_of
from bot.worker.runtime import Runtime


@job("`/help`")
def reply_help(rt: Runtime, *, repo: str, number: int, comment_id: int = 0, delivery_id: str = "") -> None:
    """Answer `/help` with the commands enabled on this repository."""
    client = rt.forge()
    if comment_id and command_comment(client, repo, number, comment_id, "help") is None:
        return  # deleted or edited since: nothing was asked
    config = load_repo_config(client, repo)
    if "help" in config.enabled_commands():
        client.create_comment(repo, number, f"{BOT_MARKER}:help -->\n{render_help(config.enabled_commands())}")


@job("the planning command")  # SPEC §2 counts /summarize and /classify among the planning commands
def answer_discussion(rt: Runtime, *, repo: str, number: int, login: str, command: str, comment_id: int = 0,
                      delivery_id: str = "") -> None:
    """Run `/summarize` or `/classify` on an issue, when the repository lets the comment's author do so."""
    client = rt.forge()
    if comment_id:  # the author comes from Gitea, never from the delivery
        found = command_comment(client, repo, number, comment_id, command)
        if found is None:
            return
        login = found[0]
    files = repo_files(client, repo)
    config = files.config()
    if not config.may(command, role_of(client, repo, login), login):
        client.create_comment(repo, number, refusal(command, "", login, repo))
        return
    budget = files.playbook("plan").budgets.tokens  # the planning playbook's budget covers its thread commands
    counter = CallCounter.for_limits(rt.counts(), repo, login, config.limits)
    llm = capped(rt.llm(budget), counter)
    if llm is not None and (why := counter.refusal()):
        client.create_comment(repo, number, f"{BOT_MARKER}:capped -->\n{why}")
        return
    assistant.discuss(DiscussionRequest(repo, number, login, command), forge=client, llm=llm,
                      bot_login=rt.bot_login(), skills={command: files.skill(command).instructions})
