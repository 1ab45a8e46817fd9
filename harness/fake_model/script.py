"""Scripts for the scripted model harness: parse them, pick the reply for a request, shape the answer.

A script is JSON or YAML: `{"replies": [...], "default": <reply>, "models": [...]}` (a bare list
is taken as the replies). A reply is one of

    "plain text"                                   shorthand for {"text": "plain text"}
    {"text": "..."}                                assistant text
    {"json": {...}}                                any JSON value, serialised into the content (JSON mode)
    {"tool_calls": [{"name": "f", "arguments": {...} | "raw string", "id": "optional"}], "text": "optional"}
    {"status": 429, "error": "optional message"}   an HTTP error instead of a completion

and may also carry `when` (a matcher), `usage` ({"prompt_tokens", "completion_tokens"} to report,
or null to leave `usage` out of the answer), `finish_reason` (default "stop", or "tool_calls"
when there are tool calls) and `delay` (seconds to wait before answering).

`when` narrows a reply to matching requests: `contains` (a substring of the last user message),
`task` (the client's X-Teabot-Task header) and `model`; all given keys must match. A request takes
the first unused reply whose `when` matches, trying guarded replies before plain ones, so guarded
replies may sit anywhere in the list. Each reply is used once; `default` answers anything once
the list has nothing left for a request.

Token counts are whitespace-separated words: of every message's text for the prompt, and of the
content plus tool-call arguments for the completion.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPLY_KEYS = frozenset({"text", "json", "tool_calls", "status", "error", "when", "usage", "finish_reason", "delay"})
MATCHER_KEYS = frozenset({"contains", "task", "model"})
SCRIPT_KEYS = frozenset({"replies", "default", "models"})
DEFAULT_MODELS = ("fake-model",)


class ScriptError(ValueError):
    """A script is malformed; the message names the reply and key."""


@dataclass(frozen=True)
class Matcher:
    """Conditions a request must meet to take a guarded reply."""

    contains: str | None = None
    task: str | None = None
    model: str | None = None

    def matches(self, request: Mapping[str, Any]) -> bool:
        """True when every given condition holds for the recorded request."""
        if self.contains is not None and self.contains not in last_user_text(request.get("messages") or []):
            return False
        if self.task is not None and self.task != request.get("task"):
            return False
        return self.model is None or self.model == request.get("model")


@dataclass(frozen=True)
class ScriptedReply:
    """One scripted answer: a completion (text, JSON or tool calls) or an HTTP error."""

    content: str | None = None
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    status: int = 200
    error: str | None = None
    when: Matcher | None = None
    usage: Mapping[str, int] | None = None
    report_usage: bool = True
    finish_reason: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Script:
    """The replies to play back, in order, and what to answer once they are used up."""

    replies: tuple[ScriptedReply, ...] = ()
    default: ScriptedReply | None = None
    models: tuple[str, ...] = DEFAULT_MODELS
    source: Any = field(default=None, compare=False)  # the data it was parsed from, for GET /_fake/script

    @classmethod
    def from_data(cls, data: Any) -> Script:
        """Parse and validate script data (a mapping, or a bare list of replies)."""
        if data is None:
            return cls(source={"replies": []})
        if isinstance(data, list):
            data = {"replies": data}
        if not isinstance(data, Mapping):
            raise ScriptError(f"a script is a mapping with 'replies' (or a list of replies), got {type(data).__name__}")
        _reject_unknown(data, SCRIPT_KEYS, "script")
        replies = data.get("replies") or []
        if not isinstance(replies, list):
            raise ScriptError("script: 'replies' must be a list")
        default = data.get("default")
        return cls(
            replies=tuple(parse_reply(item, f"replies[{index}]") for index, item in enumerate(replies)),
            default=None if default is None else parse_reply(default, "default"),
            models=_models(data.get("models")),
            source=dict(data),
        )

    def pick(self, request: Mapping[str, Any], used: set[int]) -> int | None:
        """Index of the reply `request` takes (guarded replies first), or None when none is left."""
        free = [index for index in range(len(self.replies)) if index not in used]
        for guarded in (True, False):
            for index in free:
                when = self.replies[index].when
                if (when is not None) == guarded and (when is None or when.matches(request)):
                    return index
        return None


def load_script(path: Path) -> Script:
    """Read a script from a JSON or YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ScriptError(f"{path}: cannot read the script: {exc}") from None
    try:
        return Script.from_data(data)
    except ScriptError as exc:
        raise ScriptError(f"{path}: {exc}") from None


def parse_reply(data: Any, where: str) -> ScriptedReply:
    """Validate one reply of a script; `where` names it in error messages."""
    if isinstance(data, str):
        return ScriptedReply(content=data)
    if not isinstance(data, Mapping):
        raise ScriptError(f"{where}: a reply is a string or a mapping, got {type(data).__name__}")
    _reject_unknown(data, REPLY_KEYS, where)
    kinds = [key for key in ("json", "tool_calls", "status") if key in data]
    if len(kinds) > 1 or not (kinds or "text" in data):
        raise ScriptError(f"{where}: give exactly one of 'text', 'json', 'tool_calls' or 'status' (text may go with tool_calls)")
    if "text" in data and kinds and kinds != ["tool_calls"]:
        raise ScriptError(f"{where}: 'text' only combines with 'tool_calls'")
    if "error" in data and "status" not in data:
        raise ScriptError(f"{where}: 'error' is the message of a 'status' reply; add a status such as 500")
    return ScriptedReply(
        content=_content(data, where),
        tool_calls=tuple(_tool_call(call, f"{where}.tool_calls[{i}]") for i, call in enumerate(data.get("tool_calls") or [])),
        status=_status(data["status"], where) if "status" in data else 200,
        error=_optional_str(data, "error", where),
        when=_matcher(data.get("when"), f"{where}.when"),
        usage=_usage(data.get("usage"), where),
        report_usage=not ("usage" in data and data["usage"] is None),
        finish_reason=_optional_str(data, "finish_reason", where),
        delay=_delay(data.get("delay", 0), where),
    )


def last_user_text(messages: Sequence[Any]) -> str:
    """The text of the last user message (text parts joined), or ''."""
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return message_text(message)
    return ""


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part["text"] for part in content if isinstance(part, Mapping) and isinstance(part.get("text"), str))
    return ""


def _reject_unknown(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ScriptError(f"{where}: unknown key {unknown[0]!r}; expected some of {', '.join(sorted(allowed))}")


def _content(data: Mapping[str, Any], where: str) -> str | None:
    if "json" in data:
        return json.dumps(data["json"], ensure_ascii=False)
    return _optional_str(data, "text", where)


def _optional_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ScriptError(f"{where}: '{key}' must be a string, got {type(value).__name__}")
    return value


def _tool_call(call: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(call, Mapping) or not isinstance(call.get("name"), str):
        raise ScriptError(f"{where}: a tool call is a mapping with a string 'name'")
    _reject_unknown(call, frozenset({"name", "arguments", "id"}), where)
    arguments = call.get("arguments", {})
    if not isinstance(arguments, (str, Mapping)):
        raise ScriptError(f"{where}: 'arguments' is a mapping (sent as JSON) or a raw string")
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return {"name": call["name"], "arguments": raw, "id": call.get("id")}


def _status(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 400 <= value <= 599:
        raise ScriptError(f"{where}: 'status' must be an HTTP error status 400-599, got {value!r}")
    return value


def _matcher(data: Any, where: str) -> Matcher | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or not data:
        raise ScriptError(f"{where}: a matcher is a mapping with some of {', '.join(sorted(MATCHER_KEYS))}")
    _reject_unknown(data, MATCHER_KEYS, where)
    for key, value in data.items():
        if not isinstance(value, str):
            raise ScriptError(f"{where}: '{key}' must be a string, got {type(value).__name__}")
    return Matcher(**data)


def _usage(data: Any, where: str) -> Mapping[str, int] | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) != {"prompt_tokens", "completion_tokens"}:
        raise ScriptError(f"{where}: 'usage' is null or a mapping with prompt_tokens and completion_tokens")
    if not all(isinstance(value, int) and value >= 0 for value in data.values()):
        raise ScriptError(f"{where}: token counts in 'usage' must be whole numbers >= 0")
    return dict(data)


def _delay(value: Any, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ScriptError(f"{where}: 'delay' must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _models(value: Any) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_MODELS
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ScriptError("script: 'models' must be a list of model names")
    return tuple(value)
