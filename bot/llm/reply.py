"""What a model call returns: text, tool calls and usage, as frozen values."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.llm.errors import LLMBadReply
from bot.llm.usage import Usage

# A fenced block such as ```json\n{...}\n```; models often wrap JSON this way even in JSON mode.
_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asked for."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """The model's answer to one `complete` call."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str = ""

    def json(self) -> Any:
        """The text parsed as JSON (a ```json fence is tolerated), or LLMBadReply saying what is wrong."""
        return parse_json(self.text)


_ANY_FENCE = re.compile(r"```[ \t]*([A-Za-z]*)[ \t]*\n(.*?)```", re.DOTALL)


def find_json(text: str) -> Any:
    """The JSON value in a reply: a ```json (or bare) fence, the whole text, or the outermost {...} amid
    prose; None when there is none. For replies that may wrap their JSON in words."""
    candidates = [body for lang, body in _ANY_FENCE.findall(text) if lang.lower() in ("", "json")]
    candidates.append(text)
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def parse_json(text: str) -> Any:
    """Parse a model's JSON answer, unwrapping a Markdown code fence around it."""
    body = text.strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body:
        raise LLMBadReply("the model's reply is empty where JSON was expected")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise LLMBadReply(f"the model's reply is not valid JSON ({exc}): {_excerpt(body)}") from None


def parse_arguments(name: str, raw: str | None) -> dict[str, Any]:
    """Decode the JSON arguments of a tool call into a dict."""
    if not raw or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LLMBadReply(f"arguments of tool call {name!r} are not valid JSON ({exc}): {_excerpt(raw)}") from None
    if not isinstance(value, dict):
        raise LLMBadReply(f"arguments of tool call {name!r} must be a JSON object, got {type(value).__name__}")
    return value


def _excerpt(text: str, limit: int = 80) -> str:
    """The start of a text, for error messages."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
