"""A command is acknowledged with 👀 at once, by the web process, whatever the workers are doing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from bot.config.settings import Settings
from bot.receiver.ack import Acknowledger, AckTarget, ack_target
from bot.receiver.app import create_app
from bot.receiver.intake import Outcome
from bot.receiver.metrics import Metrics
from bot.worker.queues import RQQueue
from harness import cast
from harness.fake_gitea import FakeGitea
from harness.rig import wait_for
from tests.conftest import comment_case, load_case, signed

QUEUED = Outcome(202, "queued", ("plan-1",))


def body_of(case: dict) -> bytes:
    return json.dumps(case["body"]).encode()


@pytest.mark.parametrize(("case", "outcome", "expected"), [
    (comment_case("/plan", comment_id=5), QUEUED, AckTarget("acme/widget", 5)),
    (comment_case("/debug", pull=True, comment_id=6), QUEUED, AckTarget("acme/widget", 6)),
    (comment_case("/plan", comment_id=7), Outcome(202, "spooled: the queue is unavailable"), AckTarget("acme/widget", 7)),
    (comment_case("/plan"), Outcome(202, "duplicate: this work is already queued or done"), None),
    (comment_case("just talking"), Outcome(204, "issue_comment/created: nothing to do"), None),
    (comment_case("/plan"), Outcome(200, "ignored: caused by the bot itself"), None),
    (load_case("issues/opened"), QUEUED, None),
])
def test_only_new_command_comments_that_queued_work_are_acknowledged(case: dict, outcome: Outcome, expected) -> None:
    assert ack_target(case["headers"], body_of(case), outcome) == expected


def test_an_edited_comment_is_not_acknowledged_again() -> None:
    case = comment_case("/plan")
    case["body"]["action"] = "edited"
    assert ack_target(case["headers"], body_of(case), QUEUED) is None


def test_a_failed_reaction_is_counted_not_raised() -> None:
    metrics = Metrics()

    def broken(repo: str, comment_id: int, content: str) -> None:
        raise RuntimeError("Gitea is down")

    assert Acknowledger(broken, metrics).submit(AckTarget("a/b", 1), time.monotonic()).result(5) is False
    assert metrics.acks.labels(outcome="failed")._value.get() == 1


@pytest.fixture
def gitea() -> Iterator[FakeGitea]:
    fake = FakeGitea("1.25.4")
    cast.seed(fake)
    fake.start()
    yield fake
    fake.stop()


def test_the_receiver_reacts_within_two_seconds_with_no_worker_running(gitea: FakeGitea, tmp_path: Path,
                                                                       redis: redis_lib.Redis) -> None:
    number = gitea.add_issue("acme/widget", "Epic", "As a user I want reports.", author="alice")
    comment_id = gitea.add_comment("acme/widget", number, "/plan", author="alice")
    settings = Settings(gitea_url=gitea.url, gitea_token=cast.BOT_TOKEN, webhook_secret="s", bot_login="teabot",
                        data_dir=tmp_path)
    app = create_app(settings, queue=RQQueue(redis))
    case = comment_case("/plan", comment_id=comment_id)
    case["body"]["issue"]["number"] = number
    headers, body = signed(case, "s")
    started = time.monotonic()
    assert app.test_client().post("/webhook", headers=headers, data=body).status_code == 202

    def reacted() -> bool:
        reactions = gitea.state.repos["acme/widget"].comments[comment_id].reactions
        return any(r.content == "eyes" and r.user.login == "teabot" for r in reactions)

    wait_for(reacted, 2.0, interval=0.01, what="the 👀 reaction")
    assert time.monotonic() - started < 2.0

    def scrape() -> str:
        text = app.test_client().get("/metrics").get_data(as_text=True)
        return text if "teabot_ack_seconds_count 1.0" in text else ""

    assert 'teabot_acks_total{outcome="posted"} 1.0' in wait_for(scrape, 2.0, what="the ack metrics")
