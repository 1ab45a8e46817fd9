"""External CI statuses: which ones count, their pipeline result, where their log may be read from."""

from __future__ import annotations

import pytest

from bot.debug.core.external import (LogUnavailable, is_actions_status, is_external_result, latest, listed_twin,
                                    log_url, refusal)
from bot.debug.core.paths import workflow_stem
from bot.debug.core.pipeline import PipelineResult
from bot.debug.core.session import session_key
from bot.forge.models import Status

JENKINS = {"id": 7, "sha": "c" * 40, "context": "ci/jenkins", "state": "failure", "description": "Build #3 failed",
           "target_url": "https://jenkins.example.com/job/widget/3/", "sender": {"login": "jenkins"},
           "updated_at": "2026-11-22T10:00:00Z"}


@pytest.mark.parametrize("change, external", [
    ({}, True),
    ({"state": "error"}, True),
    ({"state": "success"}, True),
    ({"state": "pending"}, False),
    ({"state": "skipped"}, False),
    ({"sender": {"login": "gitea-actions"}}, False),
    ({"target_url": "https://gitea.example.com/acme/widget/actions/runs/15/jobs/1"}, False),
    ({"context": "teabot/triage"}, False),
    ({"sender": {"login": "TeaBot"}}, False),
    ({"context": ""}, False),
])
def test_only_finished_statuses_of_external_ci_count(change: dict, external: bool) -> None:
    assert is_external_result(Status.from_api({**JENKINS, **change}), "teabot") is external


def test_actions_statuses_are_known_by_their_creator_or_their_link() -> None:
    assert is_actions_status(Status.from_api({"creator": {"login": "gitea-actions"}, "target_url": ""}))
    assert is_actions_status(Status.from_api({"target_url": "http://gitea:3000/sub/acme/widget/actions/runs/4"}))
    assert not is_actions_status(Status.from_api(JENKINS))
    # The statuses API shows what Actions stored: no creator (convert/status.go cannot load user -2) and
    # a path, `run.Link()` + "/jobs/N" (services/actions/commit_status.go @v1.25.4).
    api = {"id": 3, "status": "failure", "context": "CI / test (push)", "creator": None,
           "target_url": "/acme/widget/actions/runs/15/jobs/0"}
    assert is_actions_status(Status.from_api(api, sha="a" * 40))
    assert not is_external_result(Status.from_api(api, sha="a" * 40), "teabot")


def test_a_delivered_status_is_matched_to_its_statuses_api_entry() -> None:
    """The webhook's row id and absolute target_url vs the API's per-commit index and stored URL
    (notifier.go::CreateCommitStatus, convert/status.go::ToCommitStatus @v1.25.4); the API prints the
    creation time in the server's zone."""
    hook = Status.from_api({"id": 57, "state": "failure", "context": "ci/x", "target_url": "https://gitea.test/",
                            "created_at": "2026-01-22T10:17:52Z", "sha": "a" * 40})
    api = [Status.from_api({"id": n, "status": state, "context": "ci/x", "target_url": "", "created_at": when})
           for n, state, when in ((1, "failure", "2026-01-22T11:17:52+01:00"), (2, "success", "2026-01-22T10:17:52Z"),
                                  (3, "failure", "2026-01-22T10:20:00Z"))]
    assert listed_twin(hook, api) == api[0]
    assert listed_twin(hook, api[1:]) is None
    assert listed_twin(Status.from_api({"id": 57, "state": "failure", "context": "ci/x"}), api) is None
    assert listed_twin(Status.from_api({"state": "failure", "context": "ci/x", "created_at": "soon"}), api) is None


def result_of(status: dict, branch: str = "b", author: str = "") -> PipelineResult:
    return PipelineResult.from_status("acme/widget", Status.from_api(status), branch=branch, author=author)


def test_a_status_becomes_a_pipeline_result() -> None:
    run = result_of(JENKINS, branch="feature/x", author="alice")
    assert run.conclusion == "failure" and run.done and run.failed and run.branch == "feature/x" and run.external
    assert run.workflow == "ci/jenkins" and run.url == JENKINS["target_url"] and run.author == "alice"
    assert run.run_id == 7 and run.sha == "c" * 40 and not run.own
    api_shape = {**JENKINS, "state": None, "status": "success"}  # the statuses API calls the field `status`
    assert result_of(api_shape).conclusion == "success" and result_of(api_shape).passed
    assert not result_of({**JENKINS, "state": "pending"}).done
    assert result_of(JENKINS, branch="teabot/fix/ci-jenkins-7").own


def test_two_contexts_ending_alike_get_different_sessions_and_branches() -> None:
    assert workflow_stem("ci/jenkins") == "ci-jenkins" and workflow_stem("drone/jenkins") == "drone-jenkins"
    assert workflow_stem(".gitea/workflows/ci.yml") == "ci"
    assert session_key("acme/widget", "c" * 40, "ci/jenkins") != session_key("acme/widget", "c" * 40, "drone/jenkins")


def test_the_newest_status_of_a_context_is_the_current_one() -> None:
    statuses = [{"id": 3, "context": "ci/jenkins", "status": "failure"}, {"id": 9, "context": "ci/jenkins", "status": "success"},
                {"id": 12, "context": "other", "status": "failure"}]
    found = latest([Status.from_api(s) for s in statuses], "ci/jenkins")
    assert found is not None and found.id == 9 and found.state == "success"
    assert latest([Status.from_api(s) for s in statuses], "nope") is None


def test_the_log_url_template() -> None:
    jenkins = Status.from_api(JENKINS)
    assert log_url("{target_url}", jenkins) == JENKINS["target_url"]
    assert log_url("{target}/consoleText", jenkins) == "https://jenkins.example.com/job/widget/3/consoleText"
    assert log_url("https://ci.example.com/logs/{sha}?ctx={context}", jenkins).endswith("c" * 40 + "?ctx=ci/jenkins")
    assert log_url("{target_url}", Status.from_api({**JENKINS, "target_url": ""})) == ""
    with pytest.raises(LogUnavailable, match="debug.external_ci.log_url.*{target_url}"):
        log_url("{build_url}/log", jenkins)


@pytest.mark.parametrize("url, hosts, reason", [
    ("https://jenkins.example.com/job/1/", ["jenkins.example.com"], None),
    ("https://jenkins.example.com/job/1/", ["jenkins.example.com:443"], None),
    ("http://127.0.0.1:8080/x", ["127.0.0.1:8080"], None),
    ("http://127.0.0.1:8081/x", ["127.0.0.1:8080"], "127.0.0.1:8081 is not in TEABOT_CI_LOG_HOSTS"),
    ("http://169.254.169.254/latest/meta-data", ["jenkins.example.com"], "169.254.169.254:80 is not in"),
    ("https://jenkins.example.com/job/1/", [], "no CI log host is allowed"),
    ("file:///etc/passwd", ["jenkins.example.com"], "not an http(s) URL"),
    ("https://user:pw@jenkins.example.com/", ["jenkins.example.com"], "carries credentials"),
])
def test_only_allowed_hosts_are_read(url: str, hosts: list[str], reason: str | None) -> None:
    found = refusal(url, hosts)
    assert (found is None) if reason is None else (reason in found)
