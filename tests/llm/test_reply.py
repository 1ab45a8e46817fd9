"""Reply values and the pure parsers of model output."""

from __future__ import annotations

from typing import Any

import pytest

from bot.llm.errors import LLMBadReply
from bot.llm.reply import Reply, find_json, parse_arguments, parse_json


@pytest.mark.parametrize(("text", "value"), [
    ('{"a": 1}', {"a": 1}),
    ('  \n{"a": 1}\n ', {"a": 1}),
    ('```json\n{"a": [1, 2]}\n```', {"a": [1, 2]}),
    ('```JSON\n{"a": 1}```', {"a": 1}),
    ('```\n["x"]\n```', ["x"]),
    ('Here is the plan:\n```json\n{"steps": []}\n```\nDone.', {"steps": []}),
    ("42", 42),
])
def test_parse_json_accepts(text: str, value: Any) -> None:
    assert parse_json(text) == value
    assert Reply(text=text).json() == value


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty where JSON was expected"),
    ("```json\n```", "empty where JSON was expected"),
    ("Sure! {a: 1}", "not valid JSON"),
    ('{"a": 1', "not valid JSON"),
    ("x" * 200, "…"),
])
def test_parse_json_rejects_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(LLMBadReply) as info:
        parse_json(text)
    assert message in str(info.value)


@pytest.mark.parametrize(("raw", "value"), [
    (None, {}), ("", {}), ("  ", {}), ('{"q": "x"}', {"q": "x"}),
])
def test_parse_arguments_accepts(raw: str | None, value: dict[str, Any]) -> None:
    assert parse_arguments("f", raw) == value


@pytest.mark.parametrize(("raw", "message"), [
    ("{broken", "arguments of tool call 'f' are not valid JSON"),
    ("[1]", "must be a JSON object, got list"),
])
def test_parse_arguments_rejects(raw: str, message: str) -> None:
    with pytest.raises(LLMBadReply, match="'f'") as info:
        parse_arguments("f", raw)
    assert message in str(info.value)


def test_reply_is_a_frozen_value() -> None:
    reply = Reply(text="hi")
    assert (reply.tool_calls, reply.usage.total_tokens, reply.model, reply.finish_reason) == ((), 0, "", "")
    with pytest.raises(AttributeError):
        reply.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('Here it is:\n```json\n{"a": 2}\n```\nthanks', {"a": 2}),
        ('```python\nprint(1)\n```\nand {"a": 3} in prose', {"a": 3}),
        ("no json here", None),
        ("[1, 2]", [1, 2]),
    ],
)
def test_find_json_takes_fences_bare_text_or_the_outermost_braces(text: str, expected: object) -> None:
    assert find_json(text) == expected
