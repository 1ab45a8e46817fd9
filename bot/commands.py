"""Slash commands in comments (`/plan approve`, `/debug docs`, `/help`).  PURE.

A command is the first line of a comment that starts with `/word` outside a code fence or a
quote. Everything after the word, including the following lines, is the command's argument text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMAND = re.compile(r"^/(?P<name>[a-z][a-z0-9_-]*)\b[ \t]*(?P<rest>.*)$")


@dataclass(frozen=True)
class Command:
    """A parsed slash command."""

    name: str
    args: str = ""

    @property
    def words(self) -> list[str]:
        """The argument text split on whitespace."""
        return self.args.split()


@dataclass(frozen=True)
class CommandHelp:
    """One line of `/help`: usage and what it does."""

    usage: str
    summary: str


# What `/help` lists, in this order. Features register here by adding a line.
COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("/plan [instructions]", "draft a PI plan (features, enablers, NFRs, dependencies) for this epic"),
    CommandHelp("/plan <feedback>", "revise the current plan with your feedback"),
    CommandHelp("/plan approve", "create the plan's stories as linked, labelled issues and post the board (write access)"),
    CommandHelp("/summarize", "summarise this thread: requirements, decisions, open questions and their owners"),
    CommandHelp("/classify", "classify the requirements here as functional or non-functional, with reasons"),
    CommandHelp("/debug [docs-folder]", "on a pull request: diagnose the failing pipeline and try to fix it (write access)"),
    CommandHelp("/triage lines 120-140", "the cause of the failure teabot reported here is these log lines: "
                "triage of this repository learns their shapes (`/triage forget` drops them; write access)"),
    CommandHelp("/help", "list these commands"),
)


def parse_command(body: str | None) -> Command | None:
    """The first slash command in a comment body, or None."""
    if not body:
        return None
    lines = body.replace("\r\n", "\n").split("\n")
    in_fence = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or stripped.startswith(">"):
            continue
        match = _COMMAND.match(stripped)
        if match:
            rest = "\n".join([match["rest"], *lines[index + 1:]]).strip()
            return Command(match["name"], rest)
    return None


def render_help(enabled: set[str] | None = None) -> str:
    """The `/help` reply: one table row per command (only `enabled` command names, when given)."""
    rows = [
        f"| `{item.usage}` | {item.summary} |"
        for item in COMMANDS
        if enabled is None or item.usage.split()[0].lstrip("/") in enabled
    ]
    return "\n".join(["**teabot commands**", "", "| command | what it does |", "| --- | --- |", *rows])
