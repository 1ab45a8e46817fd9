"""The fake CI runs `on: pull_request` workflows as Gitea does: opened, reopened, synchronised; ref refs/pull/N/head."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.fake_ci import CiRunner, install_sample
from harness.fake_ci.sample import CI_PATH, ci_workflow, clean_files
from harness.fake_gitea import FakeGitea
from harness.fake_gitea.workflow_spec import parse_workflow
from tests.devtools.receiver import Receiver

REPO = "acme/widget"
SECRET = "pull-ci-secret"
# A quick workflow that prints what a job sees of its trigger.
ECHO = """name: Echo
on:
  pull_request:
    branches: [main]
jobs:
  echo:
    runs-on: ubuntu-latest
    steps:
      - name: Show the context
        run: |
          echo "ref=$GITHUB_REF name=$GITHUB_REF_NAME"
          echo "head=$GITHUB_HEAD_REF base=$GITHUB_BASE_REF event=$GITHUB_EVENT_NAME"
"""
OPENED_ONLY = "name: Opened\non:\n  pull_request:\n    types: [opened]\njobs:\n  o: {steps: [{run: 'true'}]}\n"


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitea]:
    """A Gitea 1.25 fake running CI for real; teabot is an Admin collaborator, alice a writer."""
    gitea = FakeGitea("1.25.4", ci_runner=CiRunner(tmp_path / "ci", job_timeout=60))
    gitea.add_user("acme")
    gitea.add_user("teabot", "bot-token")
    gitea.add_user("alice", "alice-token")
    gitea.add_repo(REPO)
    gitea.set_permission(REPO, "teabot", "admin")
    gitea.set_permission(REPO, "alice", "write")
    yield gitea
    gitea.stop()


def api(fake: FakeGitea, token: str = "bot-token") -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=fake.app), base_url=fake.api_url,
                        headers={"Authorization": f"token {token}"})


def runs(fake: FakeGitea) -> list[dict[str, Any]]:
    """Every run, oldest first, as GET …/actions/runs/{id} shows it (readable by an Admin collaborator)."""
    with fake.state.lock:
        ids = sorted(fake.state.repos[REPO].runs)
    with api(fake) as client:
        return [client.get(f"/repos/{REPO}/actions/runs/{i}").json() for i in ids]


def log_of(fake: FakeGitea, run_id: int) -> str:
    with api(fake) as client:
        [job] = client.get(f"/repos/{REPO}/actions/runs/{run_id}/jobs").json()["jobs"]
        return client.get(f"/repos/{REPO}/actions/jobs/{job['id']}/logs").text


def test_a_pull_request_run_has_the_pull_ref_and_no_head_branch(fake: FakeGitea, receiver: Receiver) -> None:
    fake.add_hook(REPO, receiver.url, SECRET, ["workflow_run", "workflow_job", "status"])
    ids = install_sample(fake, REPO, bug="off_by_one", trigger="pull_request")
    base, run = runs(fake)  # the feature branch's push started nothing: ci.yml runs pushes to main only
    assert (base["event"], base["head_branch"], base["conclusion"]) == ("push", "main", "success")
    assert (run["id"], ids["event"], run["event"], run["head_sha"]) == (ids["run_id"], "pull_request", "pull_request",
                                                                         ids["sha"])
    assert "head_branch" not in run and run["path"] == "ci.yml@refs/pull/1/head"
    assert (run["conclusion"], run["actor"]["login"]) == ("failure", "alice")
    log = log_of(fake, run["id"])
    assert "be triggered by event: pull_request" in log and "1 failed, 5 passed" in log
    mine = [(e, b) for e, b in receiver.events() if (b.get("sha") or (b.get("workflow_run") or b.get(
        "workflow_job") or {}).get("head_sha")) == ids["sha"]]
    assert [(e, b.get("action") or b["state"]) for e, b in mine] == [
        ("workflow_run", "requested"), ("workflow_job", "queued"), ("workflow_run", "in_progress"),
        ("workflow_job", "in_progress"), ("status", "pending"), ("workflow_job", "completed"), ("status", "failure"),
        ("workflow_run", "completed")]
    for event, body in mine:
        inner = body.get("workflow_run") or body.get("workflow_job")
        if inner is not None:
            assert "head_branch" not in inner and inner["head_sha"] == ids["sha"]
        else:
            assert body["context"] == "CI / test (pull_request)"  # services/actions/commit_status.go
    assert mine[-1][1]["workflow_run"]["event"] == "pull_request"


def test_pushing_to_the_pull_requests_branch_starts_a_pull_request_sync_run(fake: FakeGitea) -> None:
    ids = install_sample(fake, REPO, bug="off_by_one", trigger="pull_request")
    path, search, replace = ids["bug"].fix()
    with fake.state.lock:
        source = fake.state.repos[REPO].resolve(ids["branch"]).files[path].decode()
    sha = fake.push(REPO, {path: source.replace(search, replace)}, branch=ids["branch"], author="alice",
                    message="fix(pricing): discount from the threshold on")
    fake.wait_ci(60)
    newest = runs(fake)[-1]
    assert (newest["head_sha"], newest["event"], newest["conclusion"]) == (sha, "pull_request_sync", "success")
    assert "head_branch" not in newest and newest["path"] == "ci.yml@refs/pull/1/head"
    assert len(runs(fake)) == 3 and "6 passed" in log_of(fake, newest["id"])
    with api(fake) as client:
        statuses = client.get(f"/repos/{REPO}/statuses/{sha}").json()
    assert {s["context"] for s in statuses} == {"CI / test (pull_request)"}


def test_branch_filters_apply_to_the_base_and_types_to_the_action(fake: FakeGitea) -> None:
    fake.commit(REPO, {".gitea/workflows/echo.yml": ECHO, ".gitea/workflows/opened.yml": OPENED_ONLY})
    fake.push(REPO, {"a.txt": "a\n"}, branch="topic", author="alice")
    fake.push(REPO, {"b.txt": "b\n"}, branch="teabot/fix/x", base="topic", author="teabot")
    with api(fake) as bot, api(fake, "alice-token") as alice:
        into_topic = bot.post(f"/repos/{REPO}/pulls", json={"head": "teabot/fix/x", "base": "topic", "title": "Fix"})
        fake.wait_ci(60)
        assert [r["path"] for r in runs(fake)] == ["opened.yml@refs/pull/1/head"]  # echo.yml wants base main
        into_main = alice.post(f"/repos/{REPO}/pulls", json={"head": "topic", "base": "main", "title": "Topic"})
        fake.wait_ci(60)
        assert (into_topic.status_code, into_main.status_code) == (201, 201)
        echo = next(r for r in runs(fake) if r["path"] == "echo.yml@refs/pull/2/head")
        assert echo["conclusion"] == "success" and echo["actor"]["login"] == "alice"
        log = log_of(fake, echo["id"])
        assert "ref=refs/pull/2/head name=2\n" in log and "head=topic base=main event=pull_request\n" in log
        before = len(runs(fake))
        alice.patch(f"/repos/{REPO}/pulls/2", json={"state": "closed"})
        alice.patch(f"/repos/{REPO}/pulls/2", json={"state": "open"})
        fake.wait_ci(60)
    added = runs(fake)[before:]
    assert [(r["path"], r["event"]) for r in added] == [("echo.yml@refs/pull/2/head", "pull_request")]  # not opened.yml


def test_a_skip_ci_title_starts_no_pull_request_run(fake: FakeGitea) -> None:
    fake.commit(REPO, {".gitea/workflows/echo.yml": ECHO})
    fake.push(REPO, {"a.txt": "a\n"}, branch="topic", author="alice")
    fake.add_issue(REPO, "WIP [skip ci]", author="alice", is_pull=True, head="topic")
    fake.wait_ci(30)
    assert runs(fake) == []


def test_the_sample_workflow_per_trigger() -> None:
    text = clean_files()[CI_PATH]
    assert ci_workflow(text, "push") == text
    spec = parse_workflow("ci.yml", ci_workflow(text, "pull_request", "trunk"))
    assert spec.runs_on_push("trunk") and not spec.runs_on_push("feature/x") and "workflow_dispatch" in spec.events
    assert spec.runs_on_pull_request("opened", "feature/x") and spec.runs_on_pull_request("synchronized", "trunk")
    with pytest.raises(ValueError, match="not one of push, pull_request"):
        ci_workflow(text, "schedule")


def test_install_sample_on_pull_requests_needs_the_pull_request(fake: FakeGitea) -> None:
    with pytest.raises(ValueError, match="needs the pull request"):
        install_sample(fake, REPO, trigger="pull_request", pull=False)


@pytest.mark.parametrize(("on", "action", "base", "changed", "wanted"), [
    ("pull_request", "opened", "main", (), True),
    ("pull_request", "synchronized", "dev", (), True),
    ("pull_request", "reopened", "main", (), True),
    ("pull_request", "closed", "main", (), False),
    ("pull_request", "edited", "main", (), False),
    ("push", "opened", "main", (), False),
    ("{pull_request: {types: [synchronize]}}", "synchronized", "main", (), True),
    ("{pull_request: {types: [synchronize]}}", "opened", "main", (), False),
    ("{pull_request: {types: [labeled, closed]}}", "label_updated", "main", (), True),
    ("{pull_request: {types: [closed]}}", "closed", "main", (), True),
    ("{pull_request: {branches: [main]}}", "opened", "main", (), True),
    ("{pull_request: {branches: [main]}}", "opened", "feature/x", (), False),
    ("{pull_request: {branches: ['release/**', '!release/old/**']}}", "opened", "release/old/1", (), False),
    ("{pull_request: {branches: ['release/**', '!release/old/**']}}", "opened", "release/2/x", (), True),
    ("{pull_request: {branches-ignore: ['teabot/**']}}", "opened", "teabot/fix/a", (), False),
    ("{pull_request: {branches-ignore: ['teabot/**']}}", "opened", "main", (), True),
    ("{pull_request: {paths: ['src/**']}}", "opened", "main", ("src/a.py",), True),
    ("{pull_request: {paths: ['src/**']}}", "opened", "main", ("docs/a.md",), False),
    ("{pull_request: {paths: ['src/**']}}", "opened", "main", (), False),
    ("{pull_request: {paths-ignore: ['docs/**']}}", "opened", "main", ("docs/a.md",), False),
    ("{pull_request: {paths-ignore: ['docs/**']}}", "opened", "main", ("docs/a.md", "src/a.py"), True),
    ("{pull_request: {tags: ['v*']}}", "opened", "main", (), False),  # Gitea only logs an unknown condition
])
def test_pull_request_filters_follow_match_pull_request_event(on: str, action: str, base: str,
                                                              changed: tuple[str, ...], wanted: bool) -> None:
    spec = parse_workflow("w.yml", f"on: {on}\njobs: {{}}\n")
    assert spec.runs_on_pull_request(action, base, changed) is wanted
