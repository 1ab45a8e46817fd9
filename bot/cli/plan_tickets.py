"""The assembly behind `teabot plan tickets` and `teabot plan export`: epic text or issue in, plan data out."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import click

from bot.plan.core.embed import embed, extract, latest_plan
from bot.plan.core.model import Plan
from bot.plan.core.outline import outline_plan
from bot.plan.core.stories import split_into_stories
from bot.plan.core.tickets import item_marker, render_ticket_body

COMMENT_MARK = re.compile(r"^<!-- epic-bench:comment -->$", re.M)
EPIC_REF = "epic#0"
ISSUE_REF = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")


def read_epic_file(path: Path) -> tuple[str, str, list[str]]:
    """(title, body, comments) of an epic file: `# title`, blank line, body, comments after a marker line."""
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    title = first[2:] if first.startswith("# ") else first
    parts = COMMENT_MARK.split(rest[1:] if rest.startswith("\n") else rest)
    return title, parts[0].rstrip("\n"), [part.strip("\n") for part in parts[1:]]


def epic_tickets(title: str, body: str, comments: list[str]) -> list[dict[str, Any]]:
    """The tickets an approval would create (or, with `issue`, link) from this epic, in execution order."""
    plan = _model_plan(title, body, comments) or outline_plan(title, body, comments)[0]
    found = extract(embed(plan, 1))  # approval reads the plan back from its hidden block
    assert found is not None, "a plan always survives its own block"
    out = []
    for story in split_into_stories(found[0]):
        ticket = {"key": story.key, "title": story.title, "depends_on": list(story.depends_on),
                  "body": render_ticket_body(story, EPIC_REF, item_marker(EPIC_REF, story.key))}
        if story.issue is not None:
            ticket["issue"] = story.issue  # an existing issue: approval links it instead of creating one
        out.append(ticket)
    return out


def _model_plan(title: str, body: str, comments: list[str]) -> Plan | None:
    """The model's plan when a model is configured and its reply validates (the same rules), else None."""
    from bot.config.settings import ConfigError, Settings
    from bot.llm.client import make_llm
    from bot.plan.core import prompts
    from bot.config.skills import load_skill

    try:
        llm = make_llm(Settings.from_env(os.environ))
    except ConfigError:  # no model configured (or an incomplete setup): the model-free planner answers
        return None
    if llm is None:
        return None
    epic = "\n\n".join([f"# {title}", body, *comments])
    messages = prompts.draft_messages(load_skill("pi_planning").instructions, epic, "")
    plan, errors = prompts.parse_plan_reply(llm.complete(messages, task="plan", json_mode=True).text)
    return None if errors else plan


def export_plan(ref: str) -> dict[str, Any]:
    """The current plan on issue OWNER/REPO#N, as plan JSON."""
    from bot.config.settings import Settings
    from bot.forge import make_forge

    match = ISSUE_REF.match(ref)
    if not match:
        raise click.UsageError(f"{ref!r}: expected OWNER/REPO#N, e.g. acme/shop#12")
    settings = Settings.from_env(os.environ)
    forge = make_forge(settings)
    comments = forge.list_comments(match["repo"], int(match["number"]))
    found = latest_plan([(c["user"]["login"], c.get("body") or "") for c in comments], author=settings.bot_login)
    if found is None:
        raise click.ClickException(f"{ref}: no plan by {settings.bot_login} on this issue (comment `/plan` first)")
    return found[0].to_dict()
