"""Prompt helpers shared by the agents: make any text safe to send to the model.

`sanitize` is applied to every message the LLM client sends; agents may also call it early,
when they assemble a prompt from issue bodies, comments or CI logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.redact import redact

# HTML comments are invisible in Gitea's rendered Markdown, so they are a place to hide
# instructions for the model. An unterminated `<!--` hides the rest of the text when rendered.
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)

# Characters that render as nothing or reorder text: zero-width spaces and joiners, LRM/RLM
# (U+200B–U+200F), bidi embeddings and overrides (U+202A–U+202E), word joiner and invisible
# operators (U+2060–U+2064), bidi isolates (U+2066–U+2069), the BOM / zero-width no-break
# space (U+FEFF), and Unicode "tag" characters (U+E0000–U+E007F) that can spell out hidden ASCII.
_HIDDEN_CHARS = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")


def strip_hidden(text: str) -> str:
    """Remove HTML comments and invisible or direction-changing characters."""
    return _HTML_COMMENT.sub("", _HIDDEN_CHARS.sub("", text))


def sanitize(text: str) -> str:
    """Text fit for the model: hidden text stripped, then secrets redacted."""
    # Strip first: a zero-width space inside a token would otherwise hide it from redaction.
    return redact(strip_hidden(text))


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
