"""A command is acknowledged with 👀 at once, by the web process, whatever the workers are doing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from bot.config.settings import Settings
from bot.debug.core.report import ACK_DESCRIPTION, STATUS_CONTEXT
from bot.receiver.ack import Acknowledger, AckTarget, FailureTarget, ack_target
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


# --- a failed pipeline: the commit is marked as being looked into ------------------------------------------------


def failed_run_case(**run: object) -> dict:
    case = load_case("workflow_run/completed_failure")
    case["body"]["workflow_run"].update(run)
    return case


def status_case(**status: object) -> dict:
    case = load_case("status/failure")
    case["body"].update(status)
    case["body"]["sender"]["login"] = "jenkins"  # an external CI's own user, not Gitea Actions
    return case


def test_a_failed_run_is_acknowledged_on_its_commit() -> None:
    case = failed_run_case()
    target = ack_target(case["headers"], body_of(case), QUEUED)
    run = case["body"]["workflow_run"]
    assert target == FailureTarget("acme/widget", run["head_sha"], run["html_url"], "alice", "ci.yml")


@pytest.mark.parametrize("change", [
    {"conclusion": "success"},
    {"head_branch": "teabot/fix/ci-3"},  # the bot's fix branch: its session reports on the first commit
    {"head_sha": ""},
])
def test_runs_that_open_no_session_are_not_acknowledged(change: dict) -> None:
    case = failed_run_case(**change)
    assert ack_target(case["headers"], body_of(case), QUEUED) is None


def test_a_run_is_acknowledged_only_when_it_queued_work() -> None:
    case = failed_run_case()
    assert ack_target(case["headers"], body_of(case), Outcome(202, "duplicate: this work is already queued")) is None


def test_a_failed_job_and_a_failed_external_status_are_acknowledged() -> None:
    job = load_case("workflow_job/completed_failure")
    found = ack_target(job["headers"], body_of(job), QUEUED)
    assert isinstance(found, FailureTarget) and found.sha == job["body"]["workflow_job"]["head_sha"]
    status = status_case(context="ci/jenkins", target_url="https://ci.example.com/job/7/")
    found = ack_target(status["headers"], body_of(status), QUEUED)
    assert found == FailureTarget("acme/widget", status["body"]["sha"], "https://ci.example.com/job/7/",
                                  "jenkins", "ci/jenkins", external=True)
    own = status_case(context="teabot/debug")
    assert ack_target(own["headers"], body_of(own), QUEUED) is None


def test_the_receiver_marks_a_failed_commit_within_two_seconds_with_no_worker_running(
        gitea: FakeGitea, tmp_path: Path, redis: redis_lib.Redis) -> None:
    head = gitea.push("acme/widget", {"widget.py": "x = 2\n"}, branch="main", message="change", author="alice")
    settings = Settings(gitea_url=gitea.url, gitea_token=cast.BOT_TOKEN, webhook_secret="s", bot_login="teabot",
                        data_dir=tmp_path)
    app = create_app(settings, queue=RQQueue(redis))
    headers, body = signed(failed_run_case(head_sha=head, html_url=f"{gitea.url}/acme/widget/actions/runs/1"), "s")
    started = time.monotonic()
    assert app.test_client().post("/webhook", headers=headers, data=body).status_code == 202

    def marked() -> list:
        return [s for s in gitea.state.repos["acme/widget"].statuses if s.context == STATUS_CONTEXT]

    found = wait_for(marked, 2.0, interval=0.01, what="the teabot/debug status")
    assert time.monotonic() - started < 2.0
    assert [(s.sha, s.state, s.description, s.creator.login) for s in found] == [(head, "pending", ACK_DESCRIPTION, "teabot")]
    assert found[0].target_url.endswith("/actions/runs/1")
    # the same failure told again (its failed job's workflow_job delivery) leaves the one status alone
    job = load_case("workflow_job/completed_failure")
    job["body"]["workflow_job"]["head_sha"] = head
    headers, body = signed(job, "s", delivery="d-2")
    assert app.test_client().post("/webhook", headers=headers, data=body).status_code == 202

    def skipped() -> str:
        text = app.test_client().get("/metrics").get_data(as_text=True)
        return text if 'teabot_acks_total{outcome="skipped"} 1.0' in text else ""

    wait_for(skipped, 2.0, what="the second acknowledgement to be skipped")
    assert len(marked()) == 1
