"""The `teabot` command line: one click group, one module per command family."""

from __future__ import annotations

import importlib

import click

from bot import __version__

# Each module listed here exports `commands`: the click commands it adds to the group. Modules are
# imported only when one of their commands runs (or for --help), so `teabot triage` stays light.
COMMAND_MODULES = ("bot.cli.server", "bot.cli.dev", "bot.cli.ops", "bot.cli.plan", "bot.cli.triage", "bot.cli.step",
                   "bot.cli.demo", "bot.cli.status", "bot.cli.handover")
KNOWN = {"serve": "bot.cli.server", "worker": "bot.cli.server", "replay": "bot.cli.server", "sweep": "bot.cli.server",
         "version": "bot.cli.server", "dev": "bot.cli.dev", "check": "bot.cli.ops", "setup-hook": "bot.cli.ops",
         "plan": "bot.cli.plan", "triage": "bot.cli.triage", "demo": "bot.cli.demo",
         "status": "bot.cli.status", "handover": "bot.cli.handover"}


class LazyGroup(click.Group):
    """A group that imports a command's module when the command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({c.name for module in COMMAND_MODULES for c in _commands(module)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        modules = [KNOWN[cmd_name]] if cmd_name in KNOWN else COMMAND_MODULES
        return next((c for module in modules for c in _commands(module) if c.name == cmd_name), None)


def _commands(module: str) -> list[click.Command]:
    return list(importlib.import_module(module).commands)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="teabot")
def main() -> None:
    """teabot: a self-hosted bot for Gitea.

    Plans epics into linked tickets (/plan) and debugs failed pipelines.
    Settings come from the environment (TEABOT_GITEA_URL, TEABOT_GITEA_TOKEN,
    TEABOT_WEBHOOK_SECRET, REDIS_URL, TEABOT_MODEL_*); see README.md.
    """

