"""Prompt builders and reply parsers of /summarize and /classify."""

from __future__ import annotations

import json

from bot.assist.core.prompts import (
    classify_messages,
    parse_classification_reply,
    parse_summary_reply,
    summarize_messages,
)
from bot.plan.core.model import Post


def test_thread_builders_carry_the_thread_without_hidden_text() -> None:
    thread = summarize_messages("sum", [Post("alice", "We must export CSV <!-- x -->")])
    assert thread[0]["content"].startswith("sum") and '"decisions"' in thread[0]["content"]
    assert "## @alice\n\nWe must export CSV" in thread[1]["content"] and "<!--" not in thread[1]["content"]
    classify = classify_messages("cls", ["p99 < 200 ms", "Export CSV"])
    assert "- p99 < 200 ms\n- Export CSV" in classify[1]["content"] and "non-functional" in classify[0]["content"]


def test_parse_summary_reply() -> None:
    reply = json.dumps({"requirements": [{"text": "Export CSV", "author": "alice"}], "decisions": [],
                        "questions": [{"text": "PDF too?", "asked_by": "bob", "owner": None}]})
    summary, errors = parse_summary_reply(reply)
    assert errors == [] and summary.requirements[0].author == "alice" and summary.questions[0].owner is None
    assert parse_summary_reply('{"requirements": [{"author": "x"}]}')[1] == ["requirements[0].text: required"]
    assert parse_summary_reply('{"other": 1}')[1][0].startswith("reply.other: unknown key")
    assert parse_summary_reply("[1]")[1] == ["reply: must be an object"]
    assert parse_summary_reply("x")[0] is None
    assert parse_summary_reply('{"questions": [3]}')[1] == ["questions[0]: must be an object"]


def test_parse_classification_reply() -> None:
    good = {"items": [{"text": "p99 < 200 ms", "kind": "non-functional", "category": "performance",
                       "reason": "latency target"}]}
    items, errors = parse_classification_reply(json.dumps(good))
    assert errors == [] and items[0].kind == "non-functional"
    bad = {"items": [{**good["items"][0], "kind": "maybe"}]}
    assert parse_classification_reply(json.dumps(bad))[1] == [
        "items[0].kind: must be one of functional|non-functional, got 'maybe'"]
    assert parse_classification_reply('{"items": []}')[1] == ["items: at least one item"]
    assert parse_classification_reply("[]")[1] == ["reply: must be an object"]
    assert parse_classification_reply("x")[0] is None
