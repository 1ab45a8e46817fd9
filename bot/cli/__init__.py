"""The `teabot` command line: one click group, one module per command family."""

from __future__ import annotations

import importlib

import click

from bot import __version__

# Each module listed here exports `commands`: the click commands it adds to the group.
COMMAND_MODULES = ("bot.cli.server", "bot.cli.dev", "bot.cli.ops", "bot.cli.plan", "bot.cli.triage")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="teabot")
def main() -> None:
    """teabot: a self-hosted bot for Gitea.

    Plans epics into linked tickets (/plan) and debugs failed pipelines.
    Settings come from the environment (TEABOT_GITEA_URL, TEABOT_GITEA_TOKEN,
    TEABOT_WEBHOOK_SECRET, REDIS_URL, TEABOT_MODEL_*); see README.md.
    """


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(_name).commands:
        main.add_command(_command)
