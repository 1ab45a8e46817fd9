"""Typed Gitea values: each from_api reads recorded payloads and survives every omitted field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.forge.models import (Branch, Comment, Entry, Issue, Job, Pull, Reaction, Repository, Run, Status,
                              commit_sha, tree_entries)

PAYLOADS = Path(__file__).parent.parent / "fixtures" / "payloads"


def payload(case: str) -> dict:
    return json.loads((PAYLOADS / case).read_text())["body"]


def test_a_recorded_workflow_run() -> None:
    run = Run.from_api(payload("workflow_run/completed_failure.json")["workflow_run"])
    assert (run.id, run.run_number, run.workflow, run.event) == (88, 15, "ci.yml", "push")
    assert run.head_branch == "main" and run.head_sha.startswith("b7e1c9d3") and run.conclusion == "failure"
    assert run.done and run.actor == run.trigger_actor == run.triggered_by == "alice"
    assert run.html_url.endswith("/actions/runs/15") and run.completed_at == "2026-01-22T10:17:52Z"


def test_a_pull_request_run_has_no_head_branch_and_a_running_one_no_conclusion() -> None:
    data = payload("workflow_run/completed_failure.json")["workflow_run"]
    data = {k: v for k, v in data.items() if k not in ("head_branch", "conclusion")}
    run = Run.from_api({**data, "event": "pull_request", "path": "ci.yml@refs/pull/3/head", "status": "in_progress"})
    assert run.head_branch == "" and run.conclusion == "" and not run.done and run.workflow == "ci.yml"


@pytest.mark.parametrize("path, workflow", [("ci.yml@refs/heads/main", "ci.yml"), (".gitea/workflows/ci.yml", "ci.yml"),
                                            ("", "")])
def test_the_workflow_file_of_a_run(path: str, workflow: str) -> None:
    assert Run.from_api({"id": 1, "path": path}).workflow == workflow


def test_a_re_run_names_who_started_it() -> None:
    run = Run.from_api({"id": 1, "actor": {"login": "alice"}, "trigger_actor": {"login": "teabot"}})
    assert run.triggered_by == "teabot"
    assert Run.from_api({"id": 1, "actor": {"login": "alice"}, "trigger_actor": None}).triggered_by == "alice"


def test_a_recorded_workflow_job() -> None:
    job = Job.from_api(payload("workflow_job/completed_failure.json")["workflow_job"])
    assert (job.id, job.run_id, job.name, job.head_branch, job.conclusion) == (141, 88, "test", "main", "failure")


def test_a_status_from_a_webhook_and_from_the_api() -> None:
    hook = Status.from_api(payload("status/failure.json"))
    assert hook.state == "failure" and len(hook.sha) == 40 and hook.context and hook.creator
    api = Status.from_api({"id": 4, "status": "success", "context": "ci/jenkins", "creator": None}, sha="a" * 40)
    assert (api.state, api.sha, api.creator) == ("success", "a" * 40, "")
    assert Status.from_api({"commit": {"author": {"username": "alice"}}}).author == "alice"


def test_a_pull_request_from_a_webhook() -> None:
    data = payload("issue_comment/created_pull.json")["pull_request"]
    pull = Pull.from_api(data)
    assert pull.number == data["number"] and pull.head_ref == data["head"]["ref"] and pull.base_ref == data["base"]["ref"]
    assert pull.head_sha == data["head"]["sha"] and pull.author == data["user"]["login"]


def test_an_issue_and_a_comment_from_a_webhook() -> None:
    body = payload("issue_comment/created_pull.json")
    issue, comment = Issue.from_api(body["issue"]), Comment.from_api(body["comment"])
    assert issue.number == body["issue"]["number"] and issue.is_pull and issue.title == body["issue"]["title"]
    assert comment.id == body["comment"]["id"] and comment.author == body["comment"]["user"]["login"]
    assert not Issue.from_api(payload("issues/opened.json")["issue"]).is_pull


@pytest.mark.parametrize("model", [Run, Job, Status, Pull, Issue, Comment, Reaction, Branch, Repository, Entry])
def test_every_field_may_be_absent(model: type) -> None:
    empty = model.from_api({})
    assert all(value in ("", 0, False) for value in vars(empty).values())


@pytest.mark.parametrize("model", [Run, Pull, Issue, Comment])
def test_null_users_and_odd_numbers_are_tolerated(model: type) -> None:
    value = model.from_api({"id": "12", "number": None, "user": None, "actor": None, "head": None, "base": None})
    assert all(isinstance(v, (str, int, bool)) for v in vars(value).values())


def test_small_values_of_the_code_api() -> None:
    assert Branch.from_api({"name": "main", "commit": {"id": "c" * 40}}) == Branch("main", "c" * 40)
    assert Repository.from_api({"full_name": "acme/widget", "default_branch": "trunk"}).default_branch == "trunk"
    assert Entry.from_api({"path": "a.py", "type": "blob", "sha": "s"}) == Entry("a.py", "blob", "s")
    assert Reaction.from_api({"content": "+1", "user": {"login": "bob"}}) == Reaction("+1", "bob")
    assert commit_sha({"commit": {"sha": "d" * 40}}) == "d" * 40 and commit_sha({}) == ""
    assert tree_entries({"tree": [{"path": "a.py", "type": "blob"}, None]}) == [Entry("a.py", "blob")]
    assert tree_entries({}) == [] and tree_entries({"tree": None}) == []
