"""The fake external CI (a Jenkins stand-in): pushes become builds, reported to Gitea by commit statuses only."""

from __future__ import annotations

import html
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.fake_ci import CiRunner, ExternalCi, install_sample
from harness.fake_ci.external import stages
from harness.fake_gitea import FakeGitea
from harness.fake_gitea.app import Trigger
from bot.events import signature_of
from tests.devtools.receiver import PYTEST_FAILURE, Receiver

REPO = "acme/widget"
CONTEXT = "jenkins/widget"
ALICE = {"Authorization": "token alice-token"}
GREET = b"""on: [push, workflow_dispatch]
jobs:
  greet:
    steps:
      - run: echo '<b>Tom & Jerry</b>'
"""


@dataclass(frozen=True)
class Installed:
    """The sample with the off_by_one bug, built by the external CI alone."""

    fake: FakeGitea
    ext: ExternalCi
    receiver: Receiver
    ids: dict[str, Any]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """One install for the read-only tests below: main is built green, then the feature branch red."""
    ext = ExternalCi(tmp_path_factory.mktemp("jenkins"), job_timeout=60)
    receiver = Receiver()
    fake = FakeGitea("1.26.0", ci_runner=ext)
    fake.start()
    fake.add_repo(REPO)
    fake.add_hook(REPO, receiver.url, "status-secret", ["status"])
    ext.setup(fake, REPO)
    yield Installed(fake, ext, receiver, install_sample(fake, REPO, bug="off_by_one"))
    fake.stop()
    receiver.close()


@pytest.fixture
def ext(tmp_path: Path) -> Iterator[ExternalCi]:
    ci = ExternalCi(tmp_path / "jenkins", job_timeout=30)
    yield ci
    ci.close()


@pytest.fixture
def fake(ext: ExternalCi) -> Iterator[FakeGitea]:
    gitea = serving(ext)
    yield gitea
    gitea.stop()


def serving(ci: Any) -> FakeGitea:
    """A served Gitea 1.26 fake with `ci` as its CI, alice as a developer and the CI's user set up."""
    gitea = FakeGitea("1.26.0", ci_runner=ci)
    gitea.start()
    gitea.add_user("alice", "alice-token")
    gitea.add_repo(REPO)
    gitea.set_permission(REPO, "alice", "write")
    ci.setup(gitea, REPO)
    return gitea


def statuses(fake: FakeGitea, sha: str) -> list[dict[str, Any]]:
    """The commit statuses of `sha` as the API lists them, oldest first."""
    response = httpx.get(f"{fake.api_url}/repos/{REPO}/statuses/{sha}")  # a public repository
    assert response.status_code == 200
    return response.json()[::-1]


def console(url: str) -> str:
    response = httpx.get(url + "consoleText")
    assert (response.status_code, response.headers["content-type"]) == (200, "text/plain; charset=utf-8")
    return response.text


def running_log(url: str, timeout: float = 10.0) -> str:
    """The console log once the build has entered a stage (polled with a deadline)."""
    deadline = time.monotonic() + timeout
    while "[Pipeline] stage" not in (text := console(url)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return text


def build_url(ext: ExternalCi, number: int) -> str:
    return f"{ext.url}/job/{REPO}/{number}/"


# --- the sample, built by the external CI ---------------------------------------------------------


def test_install_sample_builds_main_green_and_the_feature_branch_red(sample: Installed) -> None:
    ids, ext = sample.ids, sample.ext
    assert ext.builds == [(1, REPO, ids["base_sha"], "main", "success"),
                          (2, REPO, ids["sha"], "feature/bulk-pricing", "failure")]
    assert ids["run_id"] is ids["base_run_id"] is None and sample.fake.state.repos[REPO].runs == {}  # no Actions


def test_each_pushed_head_gets_pending_then_its_result_linking_to_the_build(sample: Installed) -> None:
    for sha, number, final in ((sample.ids["sha"], 2, "failure"), (sample.ids["base_sha"], 1, "success")):
        found = statuses(sample.fake, sha)
        assert [(s["status"], s["context"], s["target_url"], s["creator"]["login"]) for s in found] == [
            (state, CONTEXT, build_url(sample.ext, number), "jenkins") for state in ("pending", final)]
        assert found[0]["description"] == f"Build #{number} in progress..."
    [failed] = [s for s in statuses(sample.fake, sample.ids["sha"]) if s["status"] == "failure"]
    assert re.fullmatch(r"Build #2 failed in \d+s", failed["description"])


def test_the_console_log_holds_the_pytest_failure(sample: Installed) -> None:
    red, green = console(build_url(sample.ext, 2)), console(build_url(sample.ext, 1))
    assert PYTEST_FAILURE in red and "1 failed, 5 passed" in red and "6 passed" in green
    lines = red.splitlines()
    assert lines[0] == "Started by an SCM change (pushed by alice)"
    assert f"Checking out Revision {sample.ids['sha']} (refs/remotes/origin/feature/bulk-pricing)" in lines
    assert lines[lines.index("[Pipeline] { (test)") + 1] == "[Pipeline] sh"
    assert lines[-2:] == ["ERROR: script returned exit code 1", "Finished: FAILURE"]
    assert green.splitlines()[-1] == "Finished: SUCCESS"
    assert "/job/acme/widget/2/consoleText" in sample.ext.requests


def test_the_build_page_is_html_around_the_escaped_log(sample: Installed) -> None:
    url = build_url(sample.ext, 2)
    response = httpx.get(url)
    assert (response.status_code, response.headers["content-type"]) == (200, "text/html; charset=utf-8")
    page = response.text
    assert "<title>acme/widget » feature/bulk-pricing #2 Console [Jenkins]</title>" in page
    assert "<script>" in page and 'href="/job/acme/widget/2/consoleText"' in page
    [log] = re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.DOTALL)
    assert html.unescape(log) == console(url) and PYTEST_FAILURE in log
    assert "/job/acme/widget/2/" in sample.ext.requests


def test_every_status_is_delivered_as_a_webhook(sample: Installed) -> None:
    sample.fake.wait_deliveries()
    events = [body for event, body in sample.receiver.events() if event == "status"]
    assert [(e["sha"], e["state"], e["context"], e["target_url"], e["sender"]["login"]) for e in events] == [
        (sample.ids["base_sha"], "pending", CONTEXT, build_url(sample.ext, 1), "jenkins"),
        (sample.ids["base_sha"], "success", CONTEXT, build_url(sample.ext, 1), "jenkins"),
        (sample.ids["sha"], "pending", CONTEXT, build_url(sample.ext, 2), "jenkins"),
        (sample.ids["sha"], "failure", CONTEXT, build_url(sample.ext, 2), "jenkins")]
    for headers, body in sample.receiver.received:
        assert headers["X-Gitea-Signature"] == signature_of(body, "status-secret")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/job/acme/widget/99/", 404), ("GET", "/job/acme/other/1/", 404), ("GET", "/job/bob/widget/2/", 404),
    ("GET", "/job/acme/widget/99/consoleText", 404), ("GET", "/", 404), ("POST", "/job/acme/widget/1/", 405),
    ("GET", "/job/acme/widget/1", 308),
])
def test_unknown_builds_and_paths_are_not_found(sample: Installed, method: str, path: str, status: int) -> None:
    assert httpx.request(method, sample.ext.url + path).status_code == status
    assert path in sample.ext.requests


# --- builds on small workflows ----------------------------------------------------------------------


def test_the_page_escapes_what_the_plain_log_keeps(fake: FakeGitea, ext: ExternalCi) -> None:
    sha = fake.push(REPO, {".gitea/workflows/greet.yml": GREET}, branch="feature/x", author="alice")
    fake.wait_ci(30)
    assert ext.builds == [(1, REPO, sha, "feature/x", "success")]
    page = httpx.get(build_url(ext, 1)).text
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in page and "<b>Tom" not in page
    assert "<b>Tom & Jerry</b>\n" in console(build_url(ext, 1))


def test_dispatches_reruns_and_tags_start_no_build(fake: FakeGitea, ext: ExternalCi) -> None:
    sha = fake.push(REPO, {".gitea/workflows/greet.yml": GREET}, author="alice")
    fake.wait_ci(30)
    response = httpx.post(f"{fake.api_url}/repos/{REPO}/actions/workflows/greet.yml/dispatches",
                          json={"ref": "main"}, headers=ALICE)
    assert response.status_code == 204 and len(fake.dispatches(REPO)) == 1
    with fake.state.lock:
        ext(fake, Trigger(REPO, "rerun", "refs/heads/main", sha, run_id=1))
        ext(fake, Trigger(REPO, "push", "refs/tags/v1.0", sha))
    fake.wait_ci(30)
    assert ext.builds == [(1, REPO, sha, "main", "success")]
    assert [s["status"] for s in statuses(fake, sha)] == ["pending", "success"]


def test_only_watched_branches_and_the_workflows_push_filter_start_builds(tmp_path: Path) -> None:
    ci = ExternalCi(tmp_path / "jenkins", branches=["main", "release/*"])
    workflow = b"on: {push: {branches: [main]}}\njobs: {greet: {steps: [run: echo hi]}}\n"
    with serving(ci) as fake:
        main = fake.push(REPO, {".gitea/workflows/greet.yml": workflow}, author="alice")
        fake.push(REPO, {"a.txt": "a"}, branch="release/1", author="alice")  # not in the workflow's branches
        fake.push(REPO, {"b.txt": "b"}, branch="feature/y", author="alice")  # not watched by the CI
        fake.wait_ci(30)
        assert ci.builds == [(1, REPO, main, "main", "success")]


def test_a_failed_stage_skips_the_later_ones(fake: FakeGitea, ext: ExternalCi) -> None:
    workflow = b"on: push\njobs:\n  first: {steps: [run: exit 3]}\n  second: {steps: [run: echo never]}\n"
    sha = fake.push(REPO, {".gitea/workflows/two.yml": workflow}, author="alice")
    fake.wait_ci(30)
    text = console(build_url(ext, 1))
    assert "exitcode '3': failure" in text and 'Stage "second" skipped due to earlier failure(s)' in text
    assert "never" not in text.replace("echo never", "") and text.endswith("Finished: FAILURE\n")
    assert statuses(fake, sha)[-1]["description"] == "Build #1 failed in 0s"


def test_a_build_that_crashes_reports_error_and_the_next_one_runs(fake: FakeGitea, ext: ExternalCi) -> None:
    broken = fake.push(REPO, {".gitea/workflows/broken.yml": b"on: push\njobs: [oops]\n"}, author="alice")
    fixed = fake.push(REPO, {".gitea/workflows/broken.yml": None, ".gitea/workflows/greet.yml": GREET},
                      author="alice")
    fake.wait_ci(30)
    assert [b[-1] for b in ext.builds] == ["error", "success"]
    assert [s["status"] for s in statuses(fake, broken)] == ["pending", "error"]
    assert [s["status"] for s in statuses(fake, fixed)] == ["pending", "success"]
    text = console(build_url(ext, 1))
    assert "Traceback (most recent call last)" in text and "WorkflowFileError" in text
    assert ".gitea/workflows/broken.yml: jobs: must be a mapping" in text and text.endswith("Finished: FAILURE\n")


def test_a_ci_gitea_refuses_still_ends_its_build(tmp_path: Path) -> None:
    ci = ExternalCi(tmp_path / "jenkins", token="not-a-known-token")
    with FakeGitea("1.26.0", ci_runner=ci) as fake:
        fake.start()
        fake.add_repo(REPO)
        ci.start()  # no setup(): Gitea does not know the CI's token
        sha = fake.push(REPO, {".gitea/workflows/greet.yml": GREET})
        fake.wait_ci(30)
        assert ci.builds == [(1, REPO, sha, "main", "error")] and fake.state.repos[REPO].statuses == []
        text = console(build_url(ci, 1))
    assert "Gitea answered 401" in text and "does user 'jenkins' have this token and write access" in text


def test_jobs_get_a_scrubbed_environment_this_python_and_the_build(tmp_path: Path) -> None:
    ci = ExternalCi(tmp_path / "jenkins", environ={"PATH": "/usr/bin:/bin", "TEABOT_GITEA_TOKEN": "s3cret-token",
                                                   "OPENAI_API_KEY": "sk-s3cret", "HOME": str(tmp_path)})
    workflow = b"on: push\njobs: {env: {steps: [run: 'env | sort; python -c \"import sys; print(sys.executable)\"']}}\n"
    with serving(ci) as fake:
        sha = fake.push(REPO, {".gitea/workflows/env.yml": workflow}, author="alice")
        fake.wait_ci(30)
        text = console(build_url(ci, 1))
        assert f"BUILD_URL={build_url(ci, 1)}" in text and f"JENKINS_URL={ci.url}/" in text
    assert "s3cret" not in text and "TEABOT_" not in text and "OPENAI_" not in text
    assert sys.executable in text and f"GITHUB_SHA={sha}" in text and f"GIT_COMMIT={sha}" in text
    assert "BUILD_NUMBER=1" in text and "GITHUB_REF_NAME=main" in text and "GITHUB_ACTOR=alice" in text
    assert f"CI_STATE_DIR={tmp_path / 'jenkins' / 'state' / 'acme__widget'}" in text


def test_wait_idle_names_the_busy_build_and_close_removes_its_own_workdir() -> None:
    ci = ExternalCi()
    with serving(ci) as fake:
        fake.push(REPO, {".gitea/workflows/slow.yml": b"on: push\njobs: {s: {steps: [run: sleep 1]}}\n"})
        with pytest.raises(TimeoutError, match=r"builds #1 \(acme/widget main\) are queued or running"):
            fake.wait_ci(0.1)
        running = running_log(build_url(ci, 1))  # a running build shows its log so far
        assert running.startswith("Started by an SCM change") and "Finished:" not in running
        assert ci.builds == [(1, REPO, fake.state.repos[REPO].branches["main"], "main", "pending")]
        fake.wait_ci(30)
        workdir = ci.workdir
        assert ci.builds[0][-1] == "success" and (workdir / "bin" / "python").exists()
    assert not workdir.exists()
    with pytest.raises(RuntimeError, match="call start"):
        ci.url


def test_also_runs_gitea_actions_beside_the_external_ci(tmp_path: Path) -> None:
    actions = CiRunner(job_timeout=30)  # a workdir of its own: closing the external CI removes it
    ci = ExternalCi(tmp_path / "jenkins", also=actions)
    with serving(ci) as fake:
        workdir = actions.workdir
        sha = fake.push(REPO, {".gitea/workflows/greet.yml": GREET}, author="alice")
        httpx.post(f"{fake.api_url}/repos/{REPO}/actions/workflows/greet.yml/dispatches", json={"ref": "main"},
                   headers=ALICE).raise_for_status()
        fake.wait_ci(30)
        runs = fake.state.repos[REPO].runs.values()
        assert [(r.event, r.conclusion) for r in runs] == [("push", "success"), ("workflow_dispatch", "success")]
        assert ci.builds == [(1, REPO, sha, "main", "success")]
        assert {s["context"] for s in statuses(fake, sha)} == {CONTEXT, "greet / greet (push)",
                                                              "greet / greet (workflow_dispatch)"}
    assert not workdir.exists()


def test_setup_adds_the_ci_user_once_with_write_access_to_each_repository(fake: FakeGitea, ext: ExternalCi) -> None:
    fake.add_repo("acme/gadget")
    ext.setup(fake, "acme/gadget")
    ext.setup(fake, REPO)
    assert fake.state.users["jenkins"].token == "jenkins-token-0123456789"
    assert [fake.state.repos[r].permissions["jenkins"] for r in (REPO, "acme/gadget")] == ["write", "write"]
    assert ext.start() == ext.url


PIPELINE = {
    ".gitea/workflows/b-deploy.yml": b"on: workflow_dispatch\njobs: {deploy: {steps: [run: 'true']}}\n",
    ".gitea/workflows/a-ci.yml": b"on: push\njobs: {lint: {steps: [run: 'true']}, test: {steps: [run: 'true']}}\n",
    ".gitea/workflows/c-docs.yaml": (b"on: {push: {branches: [main], branches-ignore: [main]}}\n"
                                     b"jobs: {docs: {steps: [run: 'true']}}\n"),
    ".gitea/workflows/d-release.yml": b"on: {push: {branches: ['release/*']}}\njobs: {pack: {steps: [run: 'true']}}\n",
    ".gitea/workflows/notes.txt": b"not a workflow",
}


@pytest.mark.parametrize(("branch", "jobs"), [
    ("main", ["a-ci.yml:lint", "a-ci.yml:test"]),
    ("release/2", ["a-ci.yml:lint", "a-ci.yml:test", "d-release.yml:pack"]),
])
def test_the_pipeline_is_every_push_job_in_file_order(branch: str, jobs: list[str]) -> None:
    assert [f"{spec.file}:{job.id}" for spec, job in stages(PIPELINE, branch)] == jobs


def test_builds_of_several_repositories_run_one_at_a_time_in_push_order(fake: FakeGitea, ext: ExternalCi) -> None:
    fake.add_repo("acme/gadget")
    fake.set_permission("acme/gadget", "alice", "write")
    ext.setup(fake, "acme/gadget")
    slow = b"on: push\njobs: {wait: {steps: [run: 'sleep 0.2; echo built $GITHUB_REPOSITORY']}}\n"
    for repo in (REPO, "acme/gadget"):
        fake.push(repo, {".gitea/workflows/slow.yml": slow}, author="alice")
    fake.push(REPO, {"c.txt": "c"}, author="alice")
    fake.wait_ci(30)
    assert [(number, repo, result) for number, repo, _, _, result in ext.builds] == [
        (1, REPO, "success"), (2, "acme/gadget", "success"), (3, REPO, "success")]
    with fake.state.lock:
        posted = sorted((s.id, s.target_url.removeprefix(ext.url), s.state)
                        for repo in fake.state.repos.values() for s in repo.statuses)
    assert [(path, state) for _, path, state in posted] == [
        (f"/job/{repo}/{n}/", state) for n, repo in enumerate((REPO, "acme/gadget", REPO), 1)
        for state in ("pending", "success")]  # each build ends before the next one starts
    assert "built acme/gadget" in console(f"{ext.url}/job/acme/gadget/2/")
    assert httpx.get(f"{ext.url}/job/{REPO}/2/").status_code == 404  # build 2 is the gadget's


def test_a_flaky_test_fails_its_first_build_and_passes_when_the_commit_is_built_again(ext: ExternalCi) -> None:
    with serving(ext) as fake:
        ids = install_sample(fake, REPO, bug=None, flaky=True, pull=False)
        httpx.post(f"{fake.api_url}/repos/{REPO}/branches", headers=ALICE,  # a push of the same commit
                   json={"new_branch_name": "rebuild", "old_branch_name": ids["branch"]}).raise_for_status()
        fake.wait_ci(30)
        [*_, first, again] = ext.builds
        assert (first[2:], again[2:]) == ((ids["sha"], ids["branch"], "failure"), (ids["sha"], "rebuild", "success"))
        assert "TimeoutError: price feed" in console(build_url(ext, first[0]))
