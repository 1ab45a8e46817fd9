"""`/summarize` and `/classify` against the fake Gitea (in-process) and the scripted model (over HTTP)."""

from __future__ import annotations

import json

import pytest

from bot.assist.agent import DiscussionRequest, discuss
from bot.config.settings import ModelSettings
from bot.config.skills import bundled_skills
from bot.forge.client import GiteaClient
from bot.llm.client import make_llm
from harness.cast import BOT
from harness.fake_gitea import FakeGitea
from harness.fake_model import FakeModelServer

SKILLS = {name: bundled_skills()[name].instructions for name in ("summarize", "classify")}
THREAD = "We need invoice export.\n\n- Users can export invoices as CSV\n- Export must finish in 5 s for 10k rows (p99)\n"


def run(forge: GiteaClient, number: int, command: str, llm=None) -> dict:
    return discuss(DiscussionRequest("acme/widget", number, "alice", command), forge=forge, llm=llm, bot_login=BOT,
                   skills=SKILLS)


def bot_comments(fake: FakeGitea, number: int) -> list[str]:
    return [c["body"] for c in fake.list_comments("acme/widget", number) if c["user"]["login"] == BOT]


@pytest.fixture
def issue(fake: FakeGitea) -> int:
    number = fake.add_issue("acme/widget", "Invoice export", THREAD, author="alice")
    fake.add_comment("acme/widget", number, "We decided to use argon2id. Who owns the SMTP vendor? @bob", author="alice")
    return number


def test_summarize_and_classify_model_free(fake: FakeGitea, forge: GiteaClient, issue: int) -> None:
    run(forge, issue, "summarize")
    run(forge, issue, "classify")
    summary, classification = bot_comments(fake, issue)
    assert summary.startswith("<!-- teabot:summarize -->") and "argon2id" in summary
    assert "@\u2060bob" in summary and "@bob" not in summary  # named, not pinged: the summary's mentions are escaped
    assert classification.startswith("<!-- teabot:classify -->")
    assert "non-functional" in classification.lower() and "functional" in classification.lower()


def test_the_model_answers_and_an_invalid_answer_is_repaired(fake: FakeGitea, forge: GiteaClient, issue: int) -> None:
    good = {"items": [{"text": "Users can export invoices as CSV", "kind": "functional", "category": "behaviour",
                       "reason": "a capability"}]}
    script = {"replies": [{"json": {"items": [{"text": "x", "kind": "maybe"}]}}, {"json": good}]}
    with FakeModelServer(script) as server:
        run(forge, issue, "classify", make_llm(ModelSettings(base_url=server.base_url, api_key="k", max_retries=0)))
        assert "kind: must be one of" in server.prompts[1][-1]["content"]  # the repair names the error
    [comment] = bot_comments(fake, issue)
    assert "a capability" in comment and "was invalid" not in comment


def test_an_answer_that_stays_invalid_falls_back_and_says_so(fake: FakeGitea, forge: GiteaClient, issue: int) -> None:
    with FakeModelServer({"replies": [{"json": {"requirements": [{"author": "x"}]}}, {"text": json.dumps({"other": 1})}]}) as server:
        result = run(forge, issue, "summarize", make_llm(ModelSettings(base_url=server.base_url, api_key="k",
                                                                       max_retries=0)))
    assert "argon2id" in result["comment"] and "The model's answer was invalid" in result["comment"]


def test_only_the_thread_commands_are_answered(forge: GiteaClient, issue: int) -> None:
    with pytest.raises(ValueError, match="not a discussion command"):
        run(forge, issue, "plan")
