"""The assembly behind `teabot plan tickets` and `teabot plan export`: epic text or issue in, plan data out."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

import click

from bot.forge.client import GiteaClient
from bot.llm.client import LLM
from bot.plan.core.embed import embed, extract, latest_plan
from bot.plan.core.model import Plan
from bot.plan.core.outline import outline_plan
from bot.plan.core.stories import Story, split_into_stories
from bot.plan.core.tickets import item_marker, render_ticket_body
from bot.security.trust import is_own

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


def epic_tickets(title: str, body: str, comments: list[str], llm: LLM | None = None) -> list[dict[str, Any]]:
    """The tickets an approval would create (or, with `issue`, link) from this epic, in execution order.

    With `llm`, the model plans and splits into stories as `/plan` and `/plan approve` do: its replies go
    through the same validation (one repair round), and an invalid answer falls back to the model-free path.
    """
    plan = (_model_plan(llm, title, body, comments) if llm else None) or outline_plan(title, body, comments)[0]
    key = secrets.token_bytes(32)  # approval reads the plan back from its hidden, signed block
    found = extract(embed(plan, 1, secret=key), secret=key)
    assert found is not None, "a plan always survives its own block"
    stories = (_model_stories(llm, found[0]) if llm else None) or split_into_stories(found[0])
    out = []
    for story in stories:
        ticket = {"key": story.key, "title": story.title, "depends_on": list(story.depends_on),
                  "body": render_ticket_body(story, EPIC_REF, item_marker(EPIC_REF, story.key))}
        if story.issue is not None:
            ticket["issue"] = story.issue  # an existing issue: approval links it instead of creating one
        out.append(ticket)
    return out


def configured_llm() -> LLM | None:
    """The model of the environment's settings, or None when none is configured (model-free)."""
    from bot.config.settings import ConfigError, Settings
    from bot.llm.client import make_llm

    try:
        return make_llm(Settings.from_env(os.environ))
    except ConfigError:  # an incomplete model setup: the model-free planner answers
        return None


def _model_plan(llm: LLM, title: str, body: str, comments: list[str]) -> Plan | None:
    """The model's plan when its reply validates (the rules of `/plan`), else None."""
    from bot.config.skills import load_skill
    from bot.plan.agent import ask_json
    from bot.plan.core import prompts

    epic = "\n\n".join([f"# {title}", body, *comments])
    messages = prompts.draft_messages(load_skill("pi_planning").instructions, epic, "")
    plan, errors = ask_json(llm, messages, prompts.parse_plan_reply, "plan")
    return None if errors else plan


def _model_stories(llm: LLM, plan: Plan) -> list[Story] | None:
    """The model's stories when its reply validates against the plan (the rules of `/plan approve`), else None."""
    from bot.config.skills import load_skill
    from bot.plan.agent import ask_json
    from bot.plan.core import prompts

    messages = prompts.stories_messages(load_skill("pi_planning").instructions, plan)
    stories, errors = ask_json(llm, messages, lambda text: prompts.parse_stories_reply(text, plan), "plan")
    return None if errors or not stories else list(stories)


def export_plan(ref: str, forge: GiteaClient | None = None, bot_login: str | None = None,
                plan_key: str | None = None, signed_since: str | None = None) -> dict[str, Any]:
    """The current plan on issue OWNER/REPO#N, as plan JSON (the forge and bot login from the environment by default)."""
    match = ISSUE_REF.match(ref)
    if not match:
        raise click.UsageError(f"{ref!r}: expected OWNER/REPO#N, e.g. acme/shop#12")
    if forge is None or bot_login is None:
        from bot.config.settings import Settings
        from bot.forge import make_forge

        from bot.config.keys import ensure_plan_key

        settings = ensure_plan_key(Settings.from_env(os.environ))
        forge = forge or make_forge(settings)
        bot_login = bot_login or settings.bot_login or forge.current_user()["login"]
        plan_key = plan_key or settings.plan_key
        signed_since = signed_since or settings.plan_signed_since
    comments = forge.list_comments(match["repo"], int(match["number"]))
    own = [(bot_login, c.get("body") or "", str(c.get("created_at") or "")) for c in comments
           if is_own(c["user"]["login"], bot_login)]
    found = latest_plan(own, author=bot_login, secret=plan_key.encode() if plan_key else None, signed_since=signed_since)
    if found is None:
        raise click.ClickException(f"{ref}: no plan by {bot_login} on this issue (comment `/plan` first)")
    return found[0].to_dict()
