"""The assist jobs take the worker's runtime and keep the repository's permission rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.assist.jobs import answer_discussion
from bot.config.settings import Settings
from bot.forge.client import GiteaClient
from bot.worker import runtime as worker_runtime
from bot.worker.runtime import Runtime
from harness import cast
from harness.cast import BOT
from harness.fake_gitea import FakeGitea


@pytest.fixture
def installed(forge: GiteaClient) -> Iterator[Runtime]:
    """A runtime whose Gitea client is the in-process one, installed for the jobs of this process."""
    before = worker_runtime._installed
    rt = worker_runtime.install(Runtime(Settings(bot_login=BOT, gitea_token=cast.BOT_TOKEN), queue=None, _forge=forge))  # type: ignore[arg-type]
    yield rt
    worker_runtime.install(before)  # type: ignore[arg-type]


def comments(fake: FakeGitea, number: int) -> list[str]:
    return [c["body"] for c in fake.list_comments("acme/widget", number) if c["user"]["login"] == BOT]


def test_a_reader_gets_the_summary(fake: FakeGitea, installed: Runtime) -> None:
    number = fake.add_issue("acme/widget", "Export", "We decided: CSV first.\n", author="alice")
    answer_discussion(repo="acme/widget", number=number, login="bob", command="summarize")
    [summary] = comments(fake, number)
    assert summary.startswith("<!-- teabot:summarize -->") and "CSV first" in summary


def test_the_repository_config_decides_who_may_ask(fake: FakeGitea, installed: Runtime) -> None:
    fake.commit("acme/widget", {".gitea/teabot.yaml": "commands:\n  classify:\n    allowed: write\n"})
    number = fake.add_issue("acme/widget", "Export", "We decided: CSV first.\n", author="alice")
    answer_discussion(repo="acme/widget", number=number, login="bob", command="classify")
    [refusal] = comments(fake, number)
    assert "@bob" in refusal and "`/classify` needs more access" in refusal


def test_the_job_acts_as_the_comments_author_on_gitea_not_the_deliverys(fake: FakeGitea, installed: Runtime) -> None:
    fake.commit("acme/widget", {".gitea/teabot.yaml": "commands:\n  classify:\n    allowed: write\n"})
    number = fake.add_issue("acme/widget", "Export", "Users must export CSV.\n", author="alice")
    comment = fake.add_comment("acme/widget", number, "/classify", author="bob")
    answer_discussion(repo="acme/widget", number=number, login="alice", command="classify", comment_id=comment)
    [refusal] = comments(fake, number)
    assert "@bob" in refusal and "needs more access" in refusal


def test_a_deleted_or_edited_command_does_nothing(fake: FakeGitea, installed: Runtime, forge: GiteaClient) -> None:
    number = fake.add_issue("acme/widget", "Export", "Users must export CSV.\n", author="alice")
    comment = fake.add_comment("acme/widget", number, "/summarize", author="alice")
    forge.edit_comment("acme/widget", comment, "thanks, never mind")
    answer_discussion(repo="acme/widget", number=number, login="alice", command="summarize", comment_id=comment)
    answer_discussion(repo="acme/widget", number=number, login="alice", command="summarize", comment_id=123_456)
    assert comments(fake, number) == []


def test_the_daily_cap_answers_with_a_clear_comment(fake: FakeGitea, forge: GiteaClient) -> None:
    from bot.config.settings import ModelSettings
    from harness.fake_model import FakeModelServer

    reply = {"json": {"requirements": [], "decisions": [{"text": "CSV first", "author": "alice"}], "questions": []}}
    fake.commit("acme/widget", {".gitea/teabot.yaml": "limits:\n  user_daily_calls: 1\n"})
    number = fake.add_issue("acme/widget", "Export", "We decided: CSV first.\n", author="alice")
    before = worker_runtime._installed
    with FakeModelServer() as model:
        model.set_script({"replies": [reply, reply]})
        settings = Settings(bot_login=BOT, gitea_token=cast.BOT_TOKEN,
                            model=ModelSettings(base_url=model.base_url, api_key="k", max_retries=0))
        worker_runtime.install(Runtime(settings, queue=None, _forge=forge))  # type: ignore[arg-type]
        try:
            answer_discussion(repo="acme/widget", number=number, login="bob", command="summarize")
            answer_discussion(repo="acme/widget", number=number, login="bob", command="summarize")
        finally:
            worker_runtime.install(before)  # type: ignore[arg-type]
        assert len(model.prompts) == 1  # the second command made no model call
    first, second = comments(fake, number)
    assert "CSV first" in first and second.startswith("<!-- teabot:capped -->") and "1 model calls" in second
