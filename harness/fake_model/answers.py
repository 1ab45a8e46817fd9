"""Bodies the scripted model harness answers with, shaped like OpenAI's chat completions API.

See https://platform.openai.com/docs/api-reference/chat/object for the fields the `openai`
SDK reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.fake_model.script import ScriptedReply, message_text


def count_words(text: str) -> int:
    """The harness's token count: whitespace-separated words."""
    return len(text.split())


def prompt_tokens(messages: Sequence[Any]) -> int:
    """Words in the text of every message."""
    return sum(count_words(message_text(m)) for m in messages if isinstance(m, Mapping))


def completion(reply: ScriptedReply, request: Mapping[str, Any], *, ident: str, created: int) -> dict[str, Any]:
    """A `chat.completion` object for a scripted reply to `request`."""
    calls = [_tool_call(call, f"call_{ident}_{index}") for index, call in enumerate(reply.tool_calls)]
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    body: dict[str, Any] = {
        "id": f"chatcmpl-{ident}",
        "object": "chat.completion",
        "created": created,
        "model": request.get("model") or "",
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": reply.finish_reason or ("tool_calls" if calls else "stop")}],
        "system_fingerprint": None,
    }
    if reply.report_usage:
        body["usage"] = _usage(reply, request, calls)
    return body


def error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An error body in OpenAI's shape, which the SDK puts in its exception."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def models_list(models: Sequence[str], created: int) -> dict[str, Any]:
    """The body of GET /v1/models."""
    data = [{"id": name, "object": "model", "created": created, "owned_by": "teabot-fake-model"} for name in models]
    return {"object": "list", "data": data}


def _tool_call(call: Mapping[str, Any], fallback_id: str) -> dict[str, Any]:
    function = {"name": call["name"], "arguments": call["arguments"]}
    return {"id": call.get("id") or fallback_id, "type": "function", "function": function}


def _usage(reply: ScriptedReply, request: Mapping[str, Any], calls: list[dict[str, Any]]) -> dict[str, int]:
    if reply.usage is not None:
        prompt, produced = reply.usage["prompt_tokens"], reply.usage["completion_tokens"]
    else:
        prompt = prompt_tokens(request.get("messages") or [])
        produced = count_words(reply.content or "") + sum(count_words(c["function"]["arguments"]) for c in calls)
    return {"prompt_tokens": prompt, "completion_tokens": produced, "total_tokens": prompt + produced}
