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
