"""Prompt builders and reply parsers for the model."""

from __future__ import annotations

import json

import pytest

from bot.plan.core.model import Plan
from bot.plan.core.prompts import (
    draft_messages,
    parse_json,
    parse_plan_reply,
    parse_stories_reply,
    repair_messages,
    revise_messages,
    stories_messages,
)
from bot.plan.core.stories import split_into_stories
from tests.planning.conftest import plan_data

SKILL = "# PI planning\nWork as PM, architect, RTE."


def test_draft_messages_carry_skill_schema_epic_and_instructions() -> None:
    messages = draft_messages(SKILL, "Epic body <!-- secret note -->\u200b here", "focus on mobile")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"].startswith(SKILL) and '"feature_id": "FEAT_<DOMAIN>_<NNN>"' in messages[0]["content"]
    assert "SOURCE IS DONE FIRST" in messages[0]["content"]
    user = messages[1]["content"]
    assert "Epic body  here" in user and "secret note" not in user and "\u200b" not in user
    assert "# Extra instructions from the requester\n\nfocus on mobile" in user
    assert "Extra instructions" not in draft_messages(SKILL, "Epic", "  ")[1]["content"]


def test_revise_messages_contain_the_current_plan(plan: Plan) -> None:
    current = json.dumps(plan.to_dict())
    messages = revise_messages(SKILL, current, "add a mobile client", "the epic")
    user = messages[1]["content"]
    assert current in user and "# Feedback\n\nadd a mobile client" in user and "# Epic (for reference)" in user
    assert "Epic (for reference)" not in revise_messages(SKILL, current, "x")[1]["content"]


def test_repair_messages_append_the_errors() -> None:
    base = draft_messages(SKILL, "epic")
    messages = repair_messages('{"features": []}', ["features: at least one feature"], base=base)
    assert messages[:2] == base
    assert messages[2] == {"role": "assistant", "content": '{"features": []}'}
    assert "- features: at least one feature" in messages[3]["content"]
    assert len(repair_messages("x", ["e"])) == 2


def test_stories_builder(plan: Plan) -> None:
    stories = stories_messages(SKILL, plan)
    assert '"feature_id": "FEAT_AUTH_001"' in stories[1]["content"] and "<parent_id>/S<n>" in stories[0]["content"]


@pytest.mark.parametrize("reply", [
    '{"a": 1}', 'Here you go:\n```json\n{"a": 1}\n```\nDone.', 'Sure! {"a": 1} Hope this helps.', '```\n{"a": 1}\n```',
])
def test_parse_json_finds_the_object(reply: str) -> None:
    assert parse_json(reply) == ({"a": 1}, [])


def test_parse_json_failure() -> None:
    assert parse_json("no json here")[0] is None
    assert parse_json("{broken")[1] == ["reply: not a JSON object (reply with the JSON object only)"]


def test_parse_plan_reply(plan: Plan) -> None:
    assert parse_plan_reply(f"```json\n{json.dumps(plan_data())}\n```") == (plan, [])
    data = plan_data()
    data["features"][0]["acceptance_criteria"] = []
    assert parse_plan_reply(json.dumps(data)) == (None, ["features[0].acceptance_criteria: at least one criterion"])
    assert parse_plan_reply("nope")[0] is None


def test_parse_stories_reply(plan: Plan) -> None:
    stories = split_into_stories(plan)
    reply = json.dumps({"stories": [s.to_dict() for s in stories]})
    assert parse_stories_reply(reply, plan) == (stories, [])
    assert parse_stories_reply("nope", plan)[0] is None
