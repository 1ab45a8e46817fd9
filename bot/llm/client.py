"""The model client: an `LLM` protocol and `OpenAIChat`, its implementation on the `openai` SDK.

Works with any OpenAI-compatible endpoint (OpenAI, DashScope/Qwen, vLLM, Ollama, llama.cpp).
Every message is sanitized on the way out (hidden text stripped, secrets redacted) and every
call is charged to the job's `TokenMeter`. Exceptions (defined in `bot.llm.errors`):

    LLMError                  permanent failure (bad key, unknown model, refused request)
     ├── LLMUnavailable       connection error, timeout, 5xx, 429 after our retries; transient
     ├── LLMBadReply          empty reply, JSON mode reply that is not JSON, unknown tool, bad arguments
     └── LLMBudgetExceeded    the job's token budget is spent

Deadlines: every attempt has a total budget of `ModelSettings.timeout` seconds, enforced by our
httpx transport (`bot.llm.limits.DeadlineTransport`) over the whole exchange, body included, so a server that
trickles one byte a second is cut off as surely as a silent one. The SDK's own retries are off:
it turns any exception raised inside a request into "connection error" and retries it, which
would swallow rq's job-timeout exception; our loop retries only `LLMUnavailable`, and an
exception that is not a network error (rq's `JobTimeoutException`) passes through as itself.

Token usage comes from the response's `usage` field; when a server omits it, it is estimated
as one token per four characters of prompt and reply, and `Usage.estimated` is True.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import openai
from openai.types.chat import ChatCompletion

from bot.config.settings import ModelSettings, Settings
from bot.llm.errors import LLMBadReply, LLMBudgetExceeded, LLMError, LLMUnavailable
from bot.llm.limits import MAX_RETRY_AFTER_SECONDS, DeadlineTransport
from bot.llm.prompts import sanitize_messages
from bot.llm.reply import Reply, ToolCall, parse_arguments
from bot.llm.usage import TokenMeter, Usage, estimate_tokens

__all__ = [
    "LLM", "LLMBadReply", "LLMBudgetExceeded", "LLMError", "LLMUnavailable", "OpenAIChat", "Reply",
    "TokenMeter", "ToolCall", "Usage", "make_llm",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, vLLM, llama.cpp) ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"
# Sent with every request so proxies, server logs and the scripted harness can tell tasks apart.
TASK_HEADER = "X-Teabot-Task"


class LLM(Protocol):
    """Anything that can complete a chat: the real client, or a test double."""

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        task: str = "default",
        json_mode: bool = False,
        tools: list[dict[str, Any]] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Reply:
        """Send `messages` to the model chosen for `task` and return its reply."""
        ...


class OpenAIChat:
    """`LLM` over the chat completions API of any OpenAI-compatible server."""

    def __init__(
        self,
        settings: ModelSettings,
        *,
        http_client: httpx.Client | None = None,
        budget: TokenMeter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.budget = budget if budget is not None else TokenMeter(None)
        self._client = _openai_client(settings, http_client)
        self._sleep = sleep

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        task: str = "default",
        json_mode: bool = False,
        tools: list[dict[str, Any]] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Reply:
        """Send sanitized `messages` to the model for `task`; charge the budget; validate the reply."""
        clean = sanitize_messages(messages)
        prompt_estimate = estimate_tokens(_prompt_text(clean))
        self.budget.check(prompt_estimate)
        model = self.settings.model_for(task)
        options = _options(json_mode, tools, max_tokens, temperature)
        log.debug("model request", extra={"task": task, "model": model, "messages": clean, "options": options})
        completion = self._create(model, clean, task, options)
        reply = _reply(completion, prompt_estimate)
        self.budget.charge(reply.usage)
        log.info("model call", extra=_log_fields(task, reply, self.budget))
        _validate(reply, json_mode, tools)
        return reply

    def _create(self, model: str, messages: list[dict[str, Any]], task: str, options: dict[str, Any]) -> Any:
        """One completion, retried on transient errors up to `max_retries` times (our policy, not the SDK's)."""
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            try:
                return self._client.chat.completions.create(
                    model=model, messages=messages, extra_headers={TASK_HEADER: task}, **options
                )
            except openai.OpenAIError as exc:
                _reraise_foreign(exc)
                error = error_for(exc, self.settings, model)
                if not isinstance(error, LLMUnavailable) or attempt + 1 == attempts:
                    raise error from exc
                pause = retry_pause(exc, attempt)
                log.warning("model call failed (%s); retry %d of %d in %.1fs", error, attempt + 1, attempts - 1, pause)
                self._sleep(pause)
        raise AssertionError("unreachable: the loop returns or raises")


def _reraise_foreign(exc: openai.OpenAIError) -> None:
    """Raise the original exception when the SDK wrapped one that is not about the network.

    The SDK reports anything raised while it waits as APIConnectionError; rq's job-timeout exception
    (raised by SIGALRM wherever the job happens to be) must reach rq as itself, to end the job."""
    cause = exc.__cause__
    if isinstance(exc, openai.APIConnectionError) and cause is not None and not isinstance(cause, (httpx.HTTPError, OSError)):
        raise cause


def retry_pause(exc: openai.OpenAIError, attempt: int) -> float:
    """Seconds to wait before the next try: the server's Retry-After (capped), else exponential backoff."""
    response = getattr(exc, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    try:
        if header is not None:
            return min(max(float(header), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        pass  # an HTTP date: fall back to backoff
    return min(0.5 * 2**attempt, 8.0)


def make_llm(settings: Settings | ModelSettings, *, budget: TokenMeter | None = None) -> LLM | None:
    """The model client for these settings, or None when no model is configured (model-free mode)."""
    model_settings = settings.model if isinstance(settings, Settings) else settings
    if not model_settings.enabled:
        return None
    return OpenAIChat(model_settings, budget=budget)


def error_for(exc: openai.OpenAIError, settings: ModelSettings, model: str) -> LLMError:
    """Map an `openai` exception to the LLMError tree, with a message saying what to check."""
    where = settings.base_url or DEFAULT_BASE_URL
    if isinstance(exc, openai.APITimeoutError):
        return LLMUnavailable(f"model endpoint {where} timed out after {settings.timeout}s; "
                              "raise TEABOT_MODEL_TIMEOUT if the model is slow")
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(f"cannot reach the model endpoint {where}: check TEABOT_MODEL_BASE_URL ({exc})")
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, where, model)
    return LLMBadReply(f"unusable answer from the model endpoint {where}: {exc}")


def _status_error(exc: openai.APIStatusError, where: str, model: str) -> LLMError:
    status = exc.status_code
    detail = f"model endpoint {where} answered HTTP {status}: {_server_message(exc)}"
    if status == 429 or status >= 500:
        return LLMUnavailable(detail)
    if status in (401, 403):
        return LLMError(f"{detail}; check TEABOT_MODEL_API_KEY")
    if status == 404:
        return LLMError(f"{detail}; check that model {model!r} exists there (TEABOT_MODEL*) "
                        "and that TEABOT_MODEL_BASE_URL ends with the API prefix, usually /v1")
    return LLMError(detail)


def _server_message(exc: openai.APIStatusError) -> str:
    """The error message the server put in its body, or the SDK's summary."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


def _openai_client(settings: ModelSettings, http_client: httpx.Client | None) -> openai.OpenAI:
    """The one place an `openai.OpenAI` is built; everything explicit so no OPENAI_* env is read.

    SDK retries are off (we retry in `OpenAIChat._create`), and the default HTTP client enforces a total
    deadline of `settings.timeout` per attempt."""
    if http_client is None:
        http_client = httpx.Client(transport=DeadlineTransport(settings.timeout), timeout=settings.timeout,
                                   follow_redirects=True)
    return openai.OpenAI(
        api_key=settings.api_key or PLACEHOLDER_API_KEY,
        base_url=settings.base_url or DEFAULT_BASE_URL,
        timeout=settings.timeout,
        max_retries=0,
        http_client=http_client,
    )


def _options(
    json_mode: bool, tools: list[dict[str, Any]] | None, max_tokens: int | None, temperature: float | None
) -> dict[str, Any]:
    """Request parameters, leaving out what the caller did not set."""
    options: dict[str, Any] = {}
    if json_mode:
        options["response_format"] = {"type": "json_object"}
    if tools:
        options["tools"] = tools
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    if temperature is not None:
        options["temperature"] = temperature
    return options


def _reply(completion: Any, prompt_estimate: int) -> Reply:
    """A `Reply` from the SDK's response object."""
    if not isinstance(completion, ChatCompletion) or not completion.choices:
        raise LLMBadReply(f"the model endpoint did not return a chat completion with choices: {str(completion)[:200]!r}")
    choice = completion.choices[0]
    text = choice.message.content or ""
    calls = tuple(_tool_call(call) for call in choice.message.tool_calls or ())
    usage = _usage(completion, prompt_estimate, text, calls)
    return Reply(text=text, tool_calls=calls, usage=usage, model=completion.model or "",
                 finish_reason=choice.finish_reason or "")


def _tool_call(call: Any) -> ToolCall:
    function = getattr(call, "function", None)
    if function is None:
        raise LLMBadReply(f"the model returned a tool call of unsupported type {getattr(call, 'type', None)!r}")
    return ToolCall(id=call.id, name=function.name, arguments=parse_arguments(function.name, function.arguments))


def _usage(completion: ChatCompletion, prompt_estimate: int, text: str, calls: tuple[ToolCall, ...]) -> Usage:
    """Reported usage, or an estimate of it when the server left it out."""
    if completion.usage is not None:
        return Usage(completion.usage.prompt_tokens or 0, completion.usage.completion_tokens or 0)
    produced = text + "".join(call.name + json.dumps(call.arguments) for call in calls)
    return Usage(prompt_estimate, estimate_tokens(produced), estimated=True)


def _validate(reply: Reply, json_mode: bool, tools: list[dict[str, Any]] | None) -> None:
    """Raise LLMBadReply when the reply cannot be what the caller asked for."""
    if not reply.text.strip() and not reply.tool_calls:
        raise LLMBadReply(f"the model returned an empty reply (finish_reason={reply.finish_reason!r})")
    offered = {_tool_name(tool) for tool in tools or ()}
    for call in reply.tool_calls:
        if call.name not in offered:
            raise LLMBadReply(f"the model called unknown tool {call.name!r}; offered: {sorted(offered)}")
    if json_mode and not reply.tool_calls:
        reply.json()


def _tool_name(tool: dict[str, Any]) -> str:
    return str(tool.get("function", {}).get("name", tool.get("name", "")))


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    """All text of the messages, for estimating prompt tokens."""
    return "".join(json.dumps(message.get("content"), ensure_ascii=False) for message in messages)


def _log_fields(task: str, reply: Reply, budget: TokenMeter) -> dict[str, Any]:
    return {
        "task": task, "model": reply.model, "finish_reason": reply.finish_reason,
        "prompt_tokens": reply.usage.prompt_tokens, "completion_tokens": reply.usage.completion_tokens,
        "usage_estimated": reply.usage.estimated, "tokens_used": budget.used, "tokens_remaining": budget.remaining,
    }
