"""The scripted model harness: script parsing, reply order, matchers, exhaustion and HTTP control routes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from harness.fake_model import FakeModelServer, Script, ScriptError, load_script
from harness.fake_model.answers import completion, prompt_tokens
from harness.fake_model.script import last_user_text, parse_reply

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def sdk(server: FakeModelServer, retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-key", base_url=server.base_url, timeout=10, max_retries=retries)


def ask(client: openai.OpenAI, text: str, **options: Any) -> Any:
    return client.chat.completions.create(model=options.pop("model", "m"), messages=user(text), **options)


# -- script parsing (pure) -------------------------------------------------------------------

@pytest.mark.parametrize(("data", "content", "calls", "status"), [
    ("hi", "hi", 0, 200),
    ({"text": "hi"}, "hi", 0, 200),
    ({"json": {"a": [1, "é"]}}, '{"a": [1, "é"]}', 0, 200),
    ({"json": [1, 2]}, "[1, 2]", 0, 200),
    ({"tool_calls": [{"name": "f", "arguments": {"x": 1}}]}, None, 1, 200),
    ({"tool_calls": [{"name": "f"}, {"name": "g", "arguments": "{raw"}], "text": "thinking"}, "thinking", 2, 200),
    ({"status": 429}, None, 0, 429),
    ({"status": 503, "error": "down"}, None, 0, 503),
])
def test_parse_reply_forms(data: Any, content: str | None, calls: int, status: int) -> None:
    reply = parse_reply(data, "r")
    assert (reply.content, len(reply.tool_calls), reply.status) == (content, calls, status)


@pytest.mark.parametrize(("data", "message"), [
    (42, "a reply is a string or a mapping"),
    ({"txt": "x"}, "unknown key 'txt'"),
    ({}, "exactly one of"),
    ({"json": {}, "status": 500}, "exactly one of"),
    ({"text": "x", "json": {}}, "'text' only combines with 'tool_calls'"),
    ({"text": 5}, "'text' must be a string"),
    ({"status": 200}, "HTTP error status 400-599"),
    ({"status": True}, "HTTP error status"),
    ({"text": "x", "error": "boom"}, "add a status"),
    ({"tool_calls": [{"arguments": {}}]}, "string 'name'"),
    ({"tool_calls": [{"name": "f", "args": {}}]}, "unknown key 'args'"),
    ({"tool_calls": [{"name": "f", "arguments": 3}]}, "'arguments' is a mapping"),
    ({"text": "x", "when": {}}, "a matcher is a mapping"),
    ({"text": "x", "when": {"regex": "a"}}, "unknown key 'regex'"),
    ({"text": "x", "when": {"task": 1}}, "'task' must be a string"),
    ({"text": "x", "usage": {"prompt_tokens": 1}}, "'usage' is null or a mapping"),
    ({"text": "x", "usage": {"prompt_tokens": -1, "completion_tokens": 1}}, "whole numbers"),
    ({"text": "x", "delay": -1}, "'delay' must be"),
    ({"text": "x", "finish_reason": 1}, "'finish_reason' must be a string"),
])
def test_parse_reply_rejects_with_a_clear_message(data: Any, message: str) -> None:
    with pytest.raises(ScriptError, match="r") as info:
        parse_reply(data, "replies[3]")
    assert message in str(info.value) and "replies[3]" in str(info.value)


@pytest.mark.parametrize(("data", "message"), [
    ("text", "a script is a mapping"),
    ({"replies": "x"}, "'replies' must be a list"),
    ({"replies": [], "extra": 1}, "unknown key 'extra'"),
    ({"models": "m"}, "'models' must be a list"),
    ({"replies": ["ok", {"bad": 1}]}, "replies[1]: unknown key 'bad'"),
    ({"default": {"bad": 1}}, "default: unknown key 'bad'"),
])
def test_script_rejects_malformed_data(data: Any, message: str) -> None:
    with pytest.raises(ScriptError) as info:
        Script.from_data(data)
    assert message in str(info.value)


def test_script_accepts_a_bare_list_and_none() -> None:
    assert len(Script.from_data(["a", "b"]).replies) == 2
    assert Script.from_data(None).replies == ()


def test_pick_prefers_guarded_replies_and_never_reuses_one() -> None:
    script = Script.from_data(["first", {"text": "x", "when": {"contains": "magic"}}, "second"])
    used: set[int] = set()
    order = []
    for text in ("hello", "the magic word", "magic again", "bye"):
        index = script.pick({"messages": user(text)}, used)
        order.append(index)
        if index is not None:
            used.add(index)
    assert order == [0, 1, 2, None]


@pytest.mark.parametrize(("when", "request_", "matches"), [
    ({"contains": "deploy"}, {"messages": user("please deploy it")}, True),
    ({"contains": "deploy"}, {"messages": [*user("deploy"), {"role": "assistant", "content": "ok"}, *user("now")]}, False),
    ({"task": "plan"}, {"task": "plan", "messages": []}, True),
    ({"task": "plan"}, {"task": "debug", "messages": []}, False),
    ({"model": "big"}, {"model": "big", "messages": []}, True),
    ({"model": "big", "task": "plan"}, {"model": "big", "task": "debug", "messages": []}, False),
])
def test_matchers(when: dict[str, str], request_: dict[str, Any], matches: bool) -> None:
    reply = parse_reply({"text": "x", "when": when}, "r")
    assert reply.when is not None and reply.when.matches(request_) is matches


def test_last_user_text_reads_content_parts() -> None:
    parts = [{"type": "text", "text": "one"}, {"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "two"}]
    assert last_user_text([{"role": "user", "content": parts}]) == "one\ntwo"
    assert last_user_text([{"role": "system", "content": "s"}]) == ""
    assert last_user_text([{"role": "user", "content": None}]) == ""


def test_completion_counts_words_and_honours_usage_overrides() -> None:
    request = {"model": "m", "messages": [{"role": "system", "content": "be brief"}, *user("three word prompt")]}
    counted = completion(parse_reply({"text": "two words"}, "r"), request, ident="x", created=1)
    assert counted["usage"] == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    fixed = completion(parse_reply({"text": "a", "usage": {"prompt_tokens": 9, "completion_tokens": 1}}, "r"),
                       request, ident="x", created=1)
    assert fixed["usage"]["total_tokens"] == 10
    assert "usage" not in completion(parse_reply({"text": "a", "usage": None}, "r"), request, ident="x", created=1)
    assert prompt_tokens([{"role": "tool", "content": None}, "junk"]) == 0


def test_load_script_reads_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps({"replies": ["a"], "default": "d"}))
    (tmp_path / "s.yaml").write_text("replies:\n  - text: a\n  - json: {ok: true}\nmodels: [m1, m2]\n")
    assert load_script(tmp_path / "s.json").default is not None
    assert load_script(tmp_path / "s.yaml").models == ("m1", "m2")


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.json", "{nope", "cannot read the script"),
    ("bad.yaml", "replies: [a\n", "cannot read the script"),
    ("wrong.yaml", "replies:\n  - {colour: red}\n", "wrong.yaml: replies[0]: unknown key 'colour'"),
])
def test_load_script_names_the_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ScriptError, match=name) as info:
        load_script(tmp_path / name)
    assert message in str(info.value)


# -- the server over HTTP, through the real openai SDK ---------------------------------------

def test_replays_text_json_and_tool_calls_in_order() -> None:
    script = ["hello there", {"json": {"ok": True}}, {"tool_calls": [{"name": "lookup", "arguments": {"q": "x"}}]}]
    with FakeModelServer({"replies": script}) as server:
        client = sdk(server)
        first = ask(client, "hi", model="alpha")
        second = ask(client, "json please", response_format={"type": "json_object"})
        third = ask(client, "call it", tools=TOOLS)
    assert first.choices[0].message.content == "hello there"
    assert first.model == "alpha" and first.id.startswith("chatcmpl-") and first.created > 0
    assert first.choices[0].finish_reason == "stop"
    assert first.usage is not None and (first.usage.prompt_tokens, first.usage.completion_tokens) == (1, 2)
    assert json.loads(second.choices[0].message.content) == {"ok": True}
    call = third.choices[0].message.tool_calls[0]
    assert third.choices[0].finish_reason == "tool_calls"
    assert (call.function.name, json.loads(call.function.arguments)) == ("lookup", {"q": "x"})
    assert call.id.startswith("call_")


def test_records_every_request_in_process_and_over_http() -> None:
    with FakeModelServer(["a", "b"]) as server:
        client = sdk(server)
        ask(client, "first", model="m1", response_format={"type": "json_object"}, temperature=0.5, max_tokens=50)
        client.chat.completions.create(model="m2", messages=user("second"), tools=TOOLS,
                                       extra_headers={"X-Teabot-Task": "plan"})
        over_http = httpx.get(server.url + "/_fake/requests").json()["requests"]
        in_process = server.requests
    assert over_http == in_process
    first, second = in_process
    assert first["messages"] == user("first") and first["model"] == "m1"
    assert first["response_format"] == {"type": "json_object"}
    assert (first["temperature"], first["max_tokens"], first["reply"]) == (0.5, 50, 0)
    assert (second["model"], second["task"], second["tools"], second["reply"]) == ("m2", "plan", TOOLS, 1)
    assert server.prompts == [user("first"), user("second")]


def test_matchers_make_order_irrelevant() -> None:
    script = [{"text": "plan reply", "when": {"task": "plan"}},
              {"text": "debug reply", "when": {"contains": "stack trace"}},
              {"text": "big model", "when": {"model": "big"}}]
    with FakeModelServer(script) as server:
        client = sdk(server)
        answers = [
            ask(client, "huge", model="big").choices[0].message.content,
            ask(client, "here is a stack trace").choices[0].message.content,
            client.chat.completions.create(model="m", messages=user("x"), extra_headers={"X-Teabot-Task": "plan"})
            .choices[0].message.content,
        ]
    assert answers == ["big model", "debug reply", "plan reply"]


def test_exhausted_script_answers_500_once_without_sdk_retries() -> None:
    with FakeModelServer(["only one"]) as server:
        client = sdk(server, retries=3)
        ask(client, "one")
        with pytest.raises(openai.InternalServerError) as info:
            ask(client, "two")
        assert len(server.requests) == 2  # x-should-retry: false stops the SDK from retrying
    assert "script exhausted" in str(info.value)


def test_default_reply_answers_after_the_script() -> None:
    with FakeModelServer({"replies": ["scripted"], "default": {"json": {"fallback": 1}}}) as server:
        client = sdk(server)
        texts = [ask(client, str(n)).choices[0].message.content for n in range(3)]
        labels = [r["reply"] for r in server.requests]
    assert texts == ["scripted", '{"fallback": 1}', '{"fallback": 1}']
    assert labels == [0, "default", "default"]


@pytest.mark.parametrize(("status", "error"), [
    (429, openai.RateLimitError), (500, openai.InternalServerError), (503, openai.InternalServerError),
    (400, openai.BadRequestError), (401, openai.AuthenticationError), (404, openai.NotFoundError),
])
def test_scripted_failures(status: int, error: type[Exception]) -> None:
    with FakeModelServer([{"status": status, "error": "simulated"}]) as server:
        with pytest.raises(error, match="simulated"):
            ask(sdk(server), "x")


def test_failures_are_retried_by_the_sdk_quickly() -> None:
    with FakeModelServer([{"status": 429}, {"status": 502}, "finally"]) as server:
        started = time.monotonic()
        reply = ask(sdk(server, retries=2), "x")
        elapsed = time.monotonic() - started
    assert reply.choices[0].message.content == "finally"
    assert elapsed < 2  # retry-after-ms keeps the SDK's backoff short


def test_streaming_is_refused_with_a_clear_message() -> None:
    with FakeModelServer(["unused"]) as server:
        with pytest.raises(openai.BadRequestError, match="does not stream"):
            ask(sdk(server), "x", stream=True)
        assert server.remaining == 1 and server.requests[0]["stream"] is True


def test_delay_makes_the_client_time_out() -> None:
    with FakeModelServer([{"text": "late", "delay": 1.0}]) as server:
        client = openai.OpenAI(api_key="k", base_url=server.base_url, timeout=0.2, max_retries=0)
        with pytest.raises(openai.APITimeoutError):
            ask(client, "x")


def test_models_route_lists_the_script_models() -> None:
    with FakeModelServer({"models": ["qwen", "llama"]}) as server:
        names = [model.id for model in sdk(server).models.list()]
    assert names == ["qwen", "llama"]


@pytest.mark.parametrize(("path", "body", "status", "message"), [
    ("/v1/chat/completions", "{broken", 400, "not JSON"),
    ("/v1/chat/completions", json.dumps({"messages": []}), 400, "'model' and a 'messages' list"),
    ("/v1/embeddings", "{}", 404, "Not Found"),
])
def test_bad_requests_get_json_errors(path: str, body: str, status: int, message: str) -> None:
    with FakeModelServer() as server:
        response = httpx.post(server.url + path, content=body)
    assert response.status_code == status and message in response.json()["error"]["message"]


def test_control_routes_replace_the_script_and_reset() -> None:
    with FakeModelServer(["old"]) as server:
        control = httpx.Client(base_url=server.url)
        assert control.post("/_fake/script", json={"replies": ["new one", "new two"]}).json()["replies"] == 2
        client = sdk(server)
        assert ask(client, "x").choices[0].message.content == "new one"
        state = control.get("/_fake/script").json()
        assert (state["used"], state["remaining"], state["script"]["replies"][1]) == ([0], 1, "new two")
        assert control.post("/_fake/reset").json() == {"ok": True}
        assert control.get("/_fake/requests").json() == {"requests": []}
        assert ask(client, "y").choices[0].message.content == "new one"
        refused = control.post("/_fake/script", json={"replies": [{"bogus": 1}]})
        assert refused.status_code == 400 and "unknown key 'bogus'" in refused.json()["error"]["message"]
        assert ask(client, "z").choices[0].message.content == "new two"  # a refused script changes nothing


def test_start_stop_releases_the_port() -> None:
    server = FakeModelServer(["a"])
    base = server.start()
    assert base == server.base_url and base.endswith("/v1")
    assert httpx.get(server.url + "/v1/models").status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/v1/models", timeout=2)


def test_cli_serves_a_script_file(tmp_path: Path) -> None:
    script = tmp_path / "script.yaml"
    script.write_text("replies:\n  - text: from the file\n")
    port = _free_port()
    command = [sys.executable, "-c", "from bot.cli import main; main()", "dev", "fake-model",
               "--port", str(port), "--script", str(script)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/v1/models", process)
        client = openai.OpenAI(api_key="k", base_url=base + "/v1", max_retries=0, timeout=5)
        assert ask(client, "x").choices[0].message.content == "from the file"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[str], deadline: float = 15.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            pytest.fail(f"teabot dev fake-model exited: {process.stderr.read() if process.stderr else ''}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail(f"teabot dev fake-model did not answer on {url} within {deadline}s")
