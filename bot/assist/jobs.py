"""Jobs of the small conversation commands: `/help`, `/summarize` and `/classify`."""

from __future__ import annotations

from bot.commands import render_help
from bot.config.repo_files import load_repo_config
from bot.events import BOT_MARKER
from bot.worker.jobs import job
from bot.worker.runtime import Runtime


@job("`/help`")
def reply_help(rt: Runtime, *, repo: str, number: int, delivery_id: str = "") -> None:
    """Answer `/help` with the commands enabled on this repository."""
    client = rt.forge()
    config = load_repo_config(client, repo)
    if "help" in config.enabled_commands():
        client.create_comment(repo, number, f"{BOT_MARKER}:help -->\n{render_help(config.enabled_commands())}")
