"""GiteaClient against the fake Gitea: Actions runs, jobs, logs, dispatch, re-run; statuses."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_gitea import FakeGitea
from bot.forge import GiteaClient, make_forge
from bot.forge.errors import NotFound, Unsupported

REPO = "acme/widget"  # seeded by the `fake` fixture in conftest.py
PREFIX = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z ")


def failed_run(fake: FakeGitea) -> int:
    return fake.add_run(REPO, head_branch="main", event="push", conclusion="failure", jobs=[
        {"name": "lint", "conclusion": "success"},
        {"name": "test", "conclusion": "failure", "log": "collected 3 items\nFAILED test_orders - assert 2 == 3\n"},
    ])


def test_runs_and_jobs(forge: GiteaClient, fake: FakeGitea) -> None:
    run_id = failed_run(fake)
    [run] = forge.list_runs(REPO, branch="main", event="push", status="failure")
    assert run["id"] == run_id and run["conclusion"] == "failure" and run["status"] == "completed"
    assert forge.list_runs(REPO, event="pull_request") == []
    assert forge.list_runs(REPO, head_sha=run["head_sha"])[0]["id"] == run_id
    assert forge.get_run(REPO, run_id)["path"] == "ci.yml@refs/heads/main"
    jobs = forge.list_run_jobs(REPO, run_id)
    assert [(j["name"], j["conclusion"]) for j in jobs] == [("lint", "success"), ("test", "failure")]
    assert forge.get_job(REPO, jobs[1]["id"])["run_id"] == run_id
    with pytest.raises(NotFound):
        forge.get_run(REPO, 999)


def test_list_runs_reads_every_page(forge: GiteaClient, fake: FakeGitea) -> None:
    for _ in range(61):
        fake.add_run(REPO, conclusion="success")
    assert len(forge.list_runs(REPO)) == 61
    assert [c.query["page"] for c in fake.calls("GET", f"/repos/{REPO}/actions/runs")] == ["1", "2"]


def test_iter_runs_reads_a_page_only_when_the_caller_gets_there(forge: GiteaClient, fake: FakeGitea) -> None:
    for _ in range(61):
        fake.add_run(REPO, conclusion="failure")
    runs = forge.iter_runs(REPO, status="failure")
    assert [next(runs)["id"] for _ in range(50)] and len(fake.calls("GET", f"/repos/{REPO}/actions/runs")) == 1
    assert len(list(runs)) == 11
    assert [c.query["page"] for c in fake.calls("GET", f"/repos/{REPO}/actions/runs")] == ["1", "2"]


def test_job_log_is_streamed_with_timestamps(forge: GiteaClient, fake: FakeGitea) -> None:
    run_id = failed_run(fake)
    job = forge.list_run_jobs(REPO, run_id)[1]
    lines = b"".join(forge.job_log(REPO, job["id"])).splitlines()
    assert len(lines) == 2 and all(PREFIX.match(line) for line in lines)
    assert lines[1].endswith(b"FAILED test_orders - assert 2 == 3")


def test_dispatch_workflow(forge: GiteaClient, fake: FakeGitea) -> None:
    forge.dispatch_workflow(REPO, "deploy.yml", "main", {"environment": "staging"})
    [dispatch] = fake.dispatches(REPO)
    assert dispatch["workflow"] == "deploy.yml" and dispatch["inputs"] == {"environment": "staging"}
    assert forge.get_run(REPO, dispatch["run_id"])["event"] == "workflow_dispatch"
    with pytest.raises(NotFound):
        forge.dispatch_workflow(REPO, "missing.yml", "main")


def test_rerun(forge: GiteaClient, fake: FakeGitea) -> None:
    run_id = failed_run(fake)
    forge.rerun_failed_jobs(REPO, run_id)
    jobs = {j["name"]: j for j in forge.list_run_jobs(REPO, run_id)}
    assert jobs["test"]["status"] == "queued" and jobs["lint"]["conclusion"] == "success"
    fake.complete_run(REPO, run_id, "success")
    rerun = forge.rerun_run(REPO, run_id)
    # 1.26: the same run, and run_attempt is never set (convert.ToActionWorkflowRun); jobs count attempts
    assert (rerun["id"], rerun["status"], rerun["run_attempt"]) == (run_id, "queued", 0)
    assert {j["name"]: j["run_attempt"] for j in forge.list_run_jobs(REPO, run_id)} == {"lint": 2, "test": 3}


def test_workflows_listed_from_the_default_branch(forge: GiteaClient) -> None:
    assert [w["id"] for w in forge.list_workflows(REPO)] == ["ci.yml", "deploy.yml"]


@pytest.mark.parametrize(("version", "call", "needs"), [
    ("1.25.4", lambda f: f.rerun_failed_jobs(REPO, 1), "1.26"),
    ("1.25.4", lambda f: f.rerun_run(REPO, 1), "1.26"),
    ("1.24.6", lambda f: f.list_runs(REPO), "1.25"),
    ("1.24.6", lambda f: f.get_job(REPO, 1), "1.25"),
])
def test_features_of_newer_servers_are_unsupported(version: str, call, needs: str) -> None:
    fake = FakeGitea(version)
    fake.add_user("teabot", "t")
    fake.add_repo(REPO)
    forge = make_forge(Settings(gitea_url=fake.url, gitea_token="t"), transport=httpx.WSGITransport(app=fake.app))
    with pytest.raises(Unsupported, match=f"needs Gitea {needs} or newer; this server is {version}"):
        call(forge)
    assert [c.path for c in fake.requests] == ["/version"]


def test_statuses(forge: GiteaClient, fake: FakeGitea) -> None:
    sha = fake.state.repos[REPO].branches["main"]
    forge.create_status(REPO, sha, state="pending", context="teabot/debug", description="looking")
    created = forge.create_status(REPO, sha, state="failure", context="teabot/debug", target_url="http://x/1")
    assert created["status"] == "failure" and created["creator"]["login"] == "teabot"
    assert [s["status"] for s in forge.list_statuses(REPO, sha)] == ["failure", "pending"]
