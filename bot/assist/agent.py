"""The thread assistant: `/summarize` and `/classify` on an issue.

Logic only: the Gitea client and the model (or None, for model-free mode) arrive as arguments.
With a model, its JSON reply is validated (one repair round); an invalid answer falls back to
the model-free reading of the thread, and the comment says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.assist.core import prompts
from bot.assist.core.discussion import (
    classify_outline,
    render_classification,
    render_summary,
    requirement_lines,
    summarize_outline,
)
from bot.events import BOT_MARKER
from bot.forge.client import GiteaClient
from bot.llm.client import LLM
from bot.security.output import escape_model_text
from bot.plan import epic as epic_io
from bot.plan.core.prompts import Message, repair_messages

log = logging.getLogger(__name__)
T = TypeVar("T")
COMMANDS = ("summarize", "classify")
INVALID = "\n\n> The model's answer was invalid, so this was built without it."


@dataclass(frozen=True)
class DiscussionRequest:
    """A `/summarize` or `/classify` command as the job hands it over."""

    repo: str
    number: int
    login: str
    command: str  # summarize | classify


def discuss(request: DiscussionRequest, *, forge: GiteaClient, llm: LLM | None, bot_login: str,
            skills: dict[str, str]) -> dict[str, Any]:
    """Answer one `/summarize` or `/classify` on an issue with a comment; returns what was posted."""
    if request.command not in COMMANDS:
        raise ValueError(f"not a discussion command: {request.command!r} (expected one of {COMMANDS})")
    thread = epic_io.read_epic(forge, request.repo, request.number, bot_login=bot_login).posts()
    skill = skills.get(request.command, "")
    if request.command == "summarize":
        summary, errors = (_ask(llm, prompts.summarize_messages(skill, thread), prompts.parse_summary_reply,
                                "summarize") if llm else (None, []))
        text = render_summary(summary or summarize_outline(thread), model_free=summary is None)
    else:
        requirements = [line for post in thread for line in requirement_lines(post.body)]
        items, errors = (_ask(llm, prompts.classify_messages(skill, requirements), prompts.parse_classification_reply,
                              "classify") if llm else (None, []))
        text = render_classification(items or classify_outline(requirements), model_free=items is None)
    if errors:
        text += INVALID
    text = escape_model_text(text)  # model text, and thread text quoted in it: no markers, no live mentions
    forge.create_comment(request.repo, request.number, f"{BOT_MARKER}:{request.command} -->\n{text}")
    return {"comment": text}


def _ask(llm: LLM, messages: list[Message], parse: Callable[[str], tuple[T | None, list[str]]],
         task: str) -> tuple[T | None, list[str]]:
    """The model's JSON answer, parsed; one repair round with the validation errors."""
    reply = llm.complete(messages, task=task, json_mode=True)
    value, errors = parse(reply.text)
    if errors:
        log.info("model reply invalid (%d errors); asking for a repair", len(errors))
        value, errors = parse(llm.complete(repair_messages(reply.text, errors, base=messages), task=task,
                                           json_mode=True).text)
    return value, errors
