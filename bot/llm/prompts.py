"""Prompt helpers shared by the agents: make any text safe to send to the model.

`sanitize` is applied to every message the LLM client sends (character-level: it is safe on code
and logs). Issue bodies and comments are Markdown: agents pass them through `sanitize_markdown`,
which keeps only what a reader sees (`bot.security.visible`), when they assemble a prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.redact import redact
from bot.security.text import visible_chars
from bot.security.visible import visible_text

# An HTML comment is invisible in Gitea's rendered Markdown and in code previews; an
# unterminated `<!--` hides the rest of the text.
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


def strip_hidden(text: str) -> str:
    """Remove HTML comments, invisible characters and concealed or overwritten terminal text."""
    return _HTML_COMMENT.sub("", visible_chars(text or ""))


def sanitize(text: str) -> str:
    """Text fit for the model (any kind: logs, code, prose): hidden text stripped, then secrets redacted."""
    # Strip first: a zero-width space inside a token would otherwise hide it from redaction.
    return redact(strip_hidden(text))


def sanitize_markdown(text: str) -> str:
    """An issue body or comment as the model may see it: only its visible text (markdown-it-py), redacted."""
    return redact(_HTML_COMMENT.sub("", visible_text(text or "")))


def sanitize_messages(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of chat messages with every text content and tool-call argument sanitized."""
    return [_sanitize_message(message) for message in messages]


def _sanitize_message(message: dict[str, Any]) -> dict[str, Any]:
    clean = dict(message)
    if "content" in clean:
        clean["content"] = _sanitize_content(clean["content"])
    if clean.get("tool_calls"):
        clean["tool_calls"] = [_sanitize_tool_call(call) for call in clean["tool_calls"]]
    return clean


def _sanitize_content(content: Any) -> Any:
    """A string, or a list of content parts of which the text parts are cleaned."""
    if isinstance(content, str):
        return sanitize(content)
    if isinstance(content, list):
        return [_sanitize_part(part) for part in content]
    return content


def _sanitize_part(part: Any) -> Any:
    if isinstance(part, dict) and isinstance(part.get("text"), str):
        return {**part, "text": sanitize(part["text"])}
    return part


def _sanitize_tool_call(call: Any) -> Any:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
        return call
    return {**call, "function": {**function, "arguments": sanitize(function["arguments"])}}
