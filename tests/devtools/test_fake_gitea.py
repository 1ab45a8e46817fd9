"""The fake Gitea harness itself: auth, permissions, version gates, recording, seeding, serving."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness.fake_gitea import FakeGitea
from harness.fake_gitea.git import Signature, blob_sha, make_commit, tree_sha
from harness.fake_gitea.patch import PatchError, apply_patch
from harness.fake_gitea.seed import apply_seed, load_seed

REPO = "acme/widget"


@pytest.fixture
def fake() -> FakeGitea:
    gitea = FakeGitea("1.25.4", webhook_transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    gitea.add_user("teabot", "bot-token")
    gitea.add_user("mallory", "mallory-token")
    gitea.add_user("root", "root-token", admin=True)
    gitea.add_repo(REPO)
    gitea.set_permission(REPO, "teabot", "write")
    return gitea


def http(fake: FakeGitea, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=fake.api_url, transport=httpx.WSGITransport(app=fake.app), headers=headers or {})


@pytest.mark.parametrize(("headers", "query", "status", "login"), [
    ({"Authorization": "token bot-token"}, {}, 200, "teabot"),
    ({"Authorization": "Bearer bot-token"}, {}, 200, "teabot"),
    ({"Authorization": "token wrong"}, {}, 401, None),
    ({}, {"token": "bot-token"}, 401, None),  # query tokens are ignored since Gitea 1.23
    ({}, {"access_token": "bot-token"}, 401, None),
    ({"Authorization": "Basic " + base64.b64encode(b"teabot:bot-token").decode()}, {}, 200, "teabot"),
    ({}, {}, 401, None),
])
def test_token_auth(fake: FakeGitea, headers: dict[str, str], query: dict[str, str], status: int,
                    login: str | None) -> None:
    response = http(fake, headers).get("/user", params=query)
    assert response.status_code == status
    assert (response.json().get("login") if status == 200 else fake.requests[-1].user) == login
    if status == 401:
        assert set(response.json()) == {"message", "url"}


def test_versions_without_a_profile_are_refused() -> None:
    with pytest.raises(ValueError, match="1.24, 1.25, 1.26, 1.27"):
        FakeGitea("1.22.6")


def test_writes_need_a_token(fake: FakeGitea) -> None:
    response = http(fake).post(f"/repos/{REPO}/issues", json={"title": "x"})
    assert response.status_code == 401 and response.json()["message"] == "token is required"
    assert http(fake).get(f"/repos/{REPO}/issues").status_code == 200  # public reads are anonymous


@pytest.mark.parametrize(("method", "path", "body", "stranger", "writer"), [
    ("POST", "/issues", {"title": "t"}, 201, 201),
    ("POST", "/issues/1/comments", {"body": "b"}, 201, 201),
    ("POST", "/labels", {"name": "n", "color": "#aabbcc"}, 403, 201),
    ("POST", "/issues/1/labels", {"labels": []}, 403, 200),
    ("POST", "/issues/1/dependencies", {"index": 2}, 404, 201),  # createIssueDependency hides the issue
    ("POST", "/branches", {"new_branch_name": "b"}, 403, 201),
    ("POST", "/contents", {"files": [{"operation": "create", "path": "f", "content": ""}]}, 403, 201),
    ("GET", "/hooks", None, 403, 403),
    ("POST", "/hooks", {"type": "gitea", "config": {"url": "http://127.0.0.1:9"}}, 403, 403),
])
def test_permissions(fake: FakeGitea, method: str, path: str, body: dict | None, stranger: int, writer: int) -> None:
    fake.add_issue(REPO, "one", author="root")
    fake.add_issue(REPO, "two", author="root")
    assert http(fake, {"Authorization": "token mallory-token"}).request(
        method, f"/repos/{REPO}{path}", json=body).status_code == stranger
    assert http(fake, {"Authorization": "token bot-token"}).request(
        method, f"/repos/{REPO}{path}", json=body).status_code == writer


def test_private_repositories_are_404_not_403(fake: FakeGitea) -> None:
    fake.add_repo("acme/secret", private=True)
    for client in (http(fake), http(fake, {"Authorization": "token mallory-token"})):
        assert client.get("/repos/acme/secret").status_code == 404
    assert http(fake, {"Authorization": "token root-token"}).get("/repos/acme/secret").status_code == 200


@pytest.mark.parametrize(("version", "path", "status"), [
    ("1.24.0", "/actions/jobs/1/logs", 200), ("1.24.6", "/actions/runs", 404), ("1.24.6", "/actions/tasks", 200),
    ("1.25.0", "/actions/runs", 200), ("1.25.4", "/actions/runs/1", 200),
])
def test_version_gated_routes(version: str, path: str, status: int) -> None:
    fake = FakeGitea(version)
    fake.add_user("root", "root-token", admin=True)
    fake.add_repo(REPO)
    fake.add_run(REPO, conclusion="failure", jobs=[{"name": "test", "log": "boom"}])
    response = http(fake, {"Authorization": "token root-token"}).get(f"/repos/{REPO}{path}")
    assert response.status_code == status
    if status == 200 and path.endswith("/logs"):
        assert response.headers["content-type"].startswith("text/plain")


def test_rerun_routes_need_1_26(fake: FakeGitea) -> None:
    run_id = fake.add_run(REPO, conclusion="failure")
    response = http(fake, {"Authorization": "token bot-token"}).post(f"/repos/{REPO}/actions/runs/{run_id}/rerun")
    assert response.status_code == 404


def test_unknown_routes_and_methods(fake: FakeGitea) -> None:
    client = http(fake, {"Authorization": "token bot-token"})
    missing = client.get("/repos/acme/widget/wiki/pages")
    assert missing.status_code == 404 and missing.json()["message"] == "The target couldn't be found."
    assert client.delete(f"/repos/{REPO}").status_code == 405


def test_requests_are_recorded_and_filtered(fake: FakeGitea) -> None:
    client = http(fake, {"Authorization": "token bot-token"})
    client.post(f"/repos/{REPO}/issues", json={"title": "one"})
    client.get(f"/repos/{REPO}/issues", params={"state": "all"})
    [post] = fake.calls("POST", f"/repos/{REPO}/issues")
    assert (post.user, post.json, post.status) == ("teabot", {"title": "one"}, 201)
    assert fake.calls("GET", r"/repos/[^/]+/widget/issues")[0].query == {"state": "all"}
    assert fake.calls(path="/nothing") == []


def test_injected_failures_count_down(fake: FakeGitea) -> None:
    fake.fail_next("GET", "/version", status=503, times=2, retry_after=1.5)
    client = http(fake)
    first = client.get("/version")
    assert (first.status_code, first.headers["Retry-After"]) == (503, "1.5")
    assert [client.get("/version").status_code for _ in range(2)] == [503, 200]


def test_pull_numbers_share_the_issue_sequence(fake: FakeGitea) -> None:
    assert [fake.add_issue(REPO, "i", author="root"), fake.add_issue(REPO, "p", author="root", is_pull=True),
            fake.add_issue(REPO, "i", author="root")] == [1, 2, 3]


def test_git_ids_are_the_ones_git_computes() -> None:
    # `printf 'x=1\n' > a.py; mkdir src; printf 'y\n' > src/b.py; git add .; git write-tree`
    assert blob_sha(b"x=1\n") == "bafc5d9a1a836cea09dadcec13e66fe498cd997a"
    assert tree_sha({"a.py": b"x=1\n", "src/b.py": b"y\n"}) == "bf8704c40de9dc81542aa86fc613074c758ac720"
    from datetime import UTC, datetime
    commit = make_commit({"a": b""}, (), "m", Signature("A", "a@x"), datetime(2026, 1, 22, tzinfo=UTC))
    assert len(commit.sha) == 40 and commit.tree == tree_sha({"a": b""})


def test_apply_patch_creates_changes_and_deletes() -> None:
    files = {"a.py": b"one\ntwo\nthree\n", "gone.txt": b"bye\n"}
    patch = ("--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n"
             "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n\\ No newline at end of file\n"
             "--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n")
    assert apply_patch(files, patch) == {"a.py": b"one\nTWO\nthree\n", "new.txt": b"hello"}


@pytest.mark.parametrize(("patch", "message"), [
    ("--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-nope\n+x\n", "does not apply"),
    ("--- a/missing.py\n+++ b/missing.py\n@@ -1 +1 @@\n-a\n+b\n", "does not exist"),
    ("--- /dev/null\n+++ b/a.py\n@@ -0,0 +1 @@\n+x\n", "already exists"),
    ("just some text", "no file headers"),
])
def test_apply_patch_refuses_what_does_not_apply(patch: str, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        apply_patch({"a.py": b"one\n"}, patch)


def test_seed_files(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "version: '1.24.2'\nusers:\n  - {login: teabot, token: t1}\n  - {login: alice, token: t2, admin: true}\n"
        "repos:\n  - name: acme/widget\n    files: {README.md: '# w'}\n    permissions: {teabot: write}\n"
        "    labels: [{name: kind/bug, color: '#ee0701'}]\n"
        "    issues: [{title: Epic, author: alice, labels: [kind/bug], comments: [{author: alice, body: /plan}]}]\n"
        "    runs: [{conclusion: failure, jobs: [{name: test, conclusion: failure, log: boom}]}]\n"
        "    hooks: [{url: 'http://127.0.0.1:9/h', secret: s, events: [issues]}]\n")
    data = load_seed(seed)
    fake = FakeGitea(data["version"])
    apply_seed(fake, data)
    repo = fake.state.repos[REPO]
    assert fake.state.version == "1.24.2" and fake.state.level(repo, fake.state.users["teabot"]) == "write"
    assert [lb.name for lb in repo.issues[1].labels] == ["kind/bug"] and len(repo.comments) == 1
    assert repo.runs[1].conclusion == "failure" and list(repo.hooks.values())[0].events == ["issues"]
    (tmp_path / "seed.json").write_text(json.dumps({"users": [{"login": "x"}]}))
    assert load_seed(tmp_path / "seed.json") == {"users": [{"login": "x"}]}
    (tmp_path / "bad.yaml").write_text("- a list\n")
    with pytest.raises(ValueError, match="mapping"):
        load_seed(tmp_path / "bad.yaml")


def test_served_over_http_and_stopped() -> None:
    with FakeGitea() as fake:
        fake.add_user("teabot", "t")
        base = fake.start()
        assert base.startswith("http://127.0.0.1:")
        response = httpx.get(f"{base}/api/v1/user", headers={"Authorization": "token t"})
        assert response.json()["html_url"] == f"{base}/teabot"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/api/v1/version")


def test_teabot_dev_fake_gitea_command(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [{"login": "teabot", "token": "seeded"}], "repos": [{"name": REPO}]}))
    command = [sys.executable, "-c", "from bot.cli import main; main()", "dev", "fake-gitea", "--port", "0",
               "--seed", str(seed)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        first = process.stdout.readline()
        assert "not Gitea" in first, first
        api = first.split(" on ", 1)[1].strip()
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.get(f"{api}/repos/{REPO}", headers={"Authorization": "token seeded"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the fake Gitea did not start listening"
        assert response.json()["permissions"]["pull"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ci_runner_sees_pushes_dispatches_and_reruns() -> None:
    triggers = []

    def runner(fake: FakeGitea, trigger) -> None:
        """A CI stand-in: dispatched and re-run workflows fail, like a broken pipeline."""
        triggers.append(trigger)
        if trigger.run_id is not None:
            fake.complete_run(trigger.repo, trigger.run_id, "failure", logs={"test": "E   assert 1 == 2\n"})

    fake = FakeGitea("1.26.0", ci_runner=runner)
    fake.add_user("teabot", "t", admin=True)
    fake.add_repo(REPO, files={".gitea/workflows/ci.yml": "on: [push, workflow_dispatch]\n"})
    client = http(fake, {"Authorization": "token t"})
    assert client.post(f"/repos/{REPO}/branches", json={"new_branch_name": "fix"}).status_code == 201
    assert client.post(f"/repos/{REPO}/actions/workflows/ci.yml/dispatches", json={"ref": "fix"}).status_code == 204
    run_id = fake.dispatches(REPO)[0]["run_id"]
    assert client.get(f"/repos/{REPO}/actions/runs/{run_id}").json()["conclusion"] == "failure"
    assert client.post(f"/repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs").status_code == 201
    assert [(t.event, t.ref, t.run_id) for t in triggers] == [
        ("push", "refs/heads/fix", None), ("workflow_dispatch", "fix", run_id), ("rerun", "refs/heads/fix", run_id)]
    run = client.get(f"/repos/{REPO}/actions/runs/{run_id}").json()
    # 1.26 re-runs the same run id and never sets run_attempt (convert.ToActionWorkflowRun)
    assert (run["id"], run["status"], run["conclusion"], run["run_attempt"]) == (run_id, "completed", "failure", 0)
