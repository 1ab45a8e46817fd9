"""Messages for the model and parsers for its replies, for `/summarize` and `/classify` (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.assist.core.discussion import Classified, Note, Question, Summary
from bot.plan.core.markdown import clean_text
from bot.plan.core.model import Post
from bot.plan.core.prompts import Message, parse_json, system_message
from bot.plan.core.validation import Reader

SUMMARY_SHAPE = """{"requirements": [{"text": "…", "author": "login"}], "decisions": [{"text": "…", "author": "login"}],
 "questions": [{"text": "…", "asked_by": "login", "owner": "login or null"}]}"""

CLASSIFY_SHAPE = """{"items": [{"text": "the requirement as given", "kind": "functional|non-functional",
 "category": "behaviour|performance|security|reliability|usability|compliance|maintainability", "reason": "…"}]}"""


def summarize_messages(skill_text: str, thread: Sequence[Post]) -> list[Message]:
    """Ask for a thread summary."""
    posts = "\n\n".join(f"## @{p.author}\n\n{clean_text(p.body).strip()}" for p in thread)
    return [system_message(skill_text, SUMMARY_SHAPE), {"role": "user", "content": f"# Thread\n\n{posts}"}]


def classify_messages(skill_text: str, requirements: Sequence[str]) -> list[Message]:
    """Ask for each requirement's kind."""
    listed = "\n".join(f"- {clean_text(r).strip()}" for r in requirements)
    return [system_message(skill_text, CLASSIFY_SHAPE), {"role": "user", "content": f"# Requirements\n\n{listed}"}]


def parse_summary_reply(text: str) -> tuple[Summary | None, list[str]]:
    """A validated thread summary from a model reply."""
    data, errors = parse_json(text)
    if errors:
        return None, errors
    reader = Reader()
    top = reader.mapping(data, "reply", ("requirements", "decisions", "questions"))
    if top is None:
        return None, reader.errors
    notes = {key: tuple(Note(reader.text(o, "text", p), reader.text(o, "author", p, required=False))
                        for p, o in _objects(reader, top, key, ("text", "author")))
             for key in ("requirements", "decisions")}
    questions = tuple(Question(reader.text(o, "text", p), reader.text(o, "asked_by", p, required=False),
                               reader.text(o, "owner", p, required=False) or None)
                      for p, o in _objects(reader, top, "questions", ("text", "asked_by", "owner")))
    summary = Summary(notes["requirements"], notes["decisions"], questions)
    return (None, reader.errors) if reader.errors else (summary, [])


def parse_classification_reply(text: str) -> tuple[list[Classified] | None, list[str]]:
    """Validated classifications from a model reply."""
    data, errors = parse_json(text)
    if errors:
        return None, errors
    reader = Reader()
    top = reader.mapping(data, "reply", ("items",))
    if top is None:
        return None, reader.errors
    items = [Classified(reader.text(o, "text", p), reader.choice(o, "kind", p, ("functional", "non-functional")),
                        reader.text(o, "category", p), reader.text(o, "reason", p))
             for p, o in _objects(reader, top, "items", ("text", "kind", "category", "reason"))]
    if not items:
        reader.fail("items", "at least one item")
    return (None, reader.errors) if reader.errors else (items, [])


def _objects(reader: Reader, top: Any, key: str, keys: tuple[str, ...]) -> list[tuple[str, Any]]:
    pairs = [(f"{key}[{i}]", reader.mapping(v, f"{key}[{i}]", keys)) for i, v in enumerate(reader.items(top, key, ""))]
    return [(path, obj) for path, obj in pairs if obj is not None]
