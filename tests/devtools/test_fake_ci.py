"""The fake Gitea's CI runner: the sample repository's workflows run for real, with Gitea's runs, logs and webhooks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_ci import BUGS, FLAKY_TEST, CiRunner, install_sample, sample_files
from harness.fake_ci.executor import JobContext, run_job
from harness.fake_ci.sample import clean_files, seed_bug
from harness.fake_gitea import FakeGitea
from harness.fake_gitea.workflow_spec import WorkflowFileError, expand, glob_match, parse_workflow
from bot.events import signature_of
from bot.forge import GiteaClient, make_forge
from tests.conftest import shared_path
from tests.devtools.receiver import PYTEST_FAILURE, Receiver

REPO = "acme/widget"
SECRET = "ci-webhook-secret"


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitea]:
    """A Gitea 1.26 fake running CI for real; teabot may write, alice is a human developer."""
    gitea = FakeGitea("1.26.0", ci_runner=CiRunner(tmp_path / "ci", job_timeout=60))
    gitea.add_user("teabot", "bot-token")
    gitea.add_user("alice", "alice-token")
    gitea.add_repo(REPO)
    gitea.set_permission(REPO, "teabot", "write")
    yield gitea
    gitea.stop()


def forge(fake: FakeGitea, token: str = "bot-token") -> GiteaClient:
    return make_forge(Settings(gitea_url=fake.url, gitea_token=token), transport=httpx.WSGITransport(app=fake.app))


def job_log(client: GiteaClient, run_id: int) -> str:
    [job] = client.list_run_jobs(REPO, run_id)
    return b"".join(client.job_log(REPO, job["id"])).decode()


def test_a_buggy_push_fails_with_the_pytest_failure_in_the_job_log(fake: FakeGitea) -> None:
    ids = install_sample(fake, REPO, bug="off_by_one")
    client = forge(fake)
    base, run = client.get_run(REPO, ids["base_run_id"]), client.get_run(REPO, ids["run_id"])
    assert (base["head_branch"], base["conclusion"]) == ("main", "success")
    assert (run["head_branch"], run["head_sha"], run["status"], run["conclusion"]) == (
        "feature/bulk-pricing", ids["sha"], "completed", "failure")
    assert run["actor"]["login"] == "alice" and run["event"] == "push" and ids["pull"] == 1
    log = job_log(client, ids["run_id"])
    assert PYTEST_FAILURE in log and "1 failed, 5 passed" in log
    lines = [line.split(" ", 1)[1] for line in log.splitlines()]  # Gitea's timestamp prefix comes off
    assert lines[lines.index("⭐ Run Main Run the tests") + 1:][:2] == ["##[group]Run python -m pytest -q",
                                                                        "python -m pytest -q"]
    assert lines[-4:] == ["  ❌  Failure - Main Run the tests", "exitcode '1': failure",
                          "Cleaning up container for job test", "🏁  Job failed"]
    [job] = client.list_run_jobs(REPO, ids["run_id"])
    assert [(s["name"], s["conclusion"]) for s in job["steps"]] == [
        ("actions/checkout@v4", "success"), ("Run the tests", "failure")]
    [status] = [s for s in client.list_statuses(REPO, ids["sha"]) if s["status"] != "pending"]
    assert (status["context"], status["status"]) == ("CI / test (push)", "failure")
    # services/convert/status.go::ToCommitStatus: Actions writes as user -2, which GetUserByID cannot load
    assert status["description"].startswith("Failing after ") and status["creator"] is None
    assert status["target_url"].startswith(f"/{REPO}/actions/runs/")  # run.Link() + "/jobs/N", stored as a path


def test_pushing_the_fix_through_the_api_turns_the_branch_green(fake: FakeGitea) -> None:
    ids = install_sample(fake, REPO, bug="off_by_one")
    client = forge(fake)
    path, search, replace = ids["bug"].fix()
    source = client.get_file(REPO, path, ref=ids["branch"]).decode()
    patch_sha = client.get_contents(REPO, path, ref=ids["branch"])["sha"]
    client.change_files(REPO, branch=ids["branch"], message="fix(pricing): discount from the threshold on",
                        files=[{"operation": "update", "path": path, "sha": patch_sha,
                                "content": source.replace(search, replace)}])
    fake.wait_ci(30)
    newest = client.list_runs(REPO, branch=ids["branch"])[0]
    assert newest["conclusion"] == "success" and newest["actor"]["login"] == "teabot"
    assert "6 passed" in job_log(client, newest["id"])


def test_webhooks_are_giteas_signed_and_in_order(fake: FakeGitea, receiver: Receiver) -> None:
    fake.add_hook(REPO, receiver.url, SECRET, ["workflow_run", "workflow_job", "status"])
    ids = install_sample(fake, REPO, bug="rounding")
    mine = [(event, body) for event, body in receiver.events() if sha_of(event, body) == ids["sha"]]
    assert [(event, body.get("action") or body["state"]) for event, body in mine] == [
        ("workflow_run", "requested"), ("workflow_job", "queued"), ("workflow_run", "in_progress"),
        ("workflow_job", "in_progress"), ("status", "pending"), ("workflow_job", "completed"), ("status", "failure"),
        ("workflow_run", "completed")]
    for headers, body in receiver.received:
        assert headers["X-Gitea-Signature"] == signature_of(body, SECRET)
    run, job, status = mine[-1][1], mine[-3][1], mine[-2][1]
    assert run["workflow_run"]["id"] == ids["run_id"] and run["workflow_run"]["conclusion"] == "failure"
    assert run["workflow"]["name"] == "CI" and run["workflow"]["path"] == ".gitea/workflows/ci.yml"
    assert job["workflow_job"]["run_id"] == ids["run_id"] and job["workflow_job"]["conclusion"] == "failure"
    assert job["workflow_job"]["url"].startswith(f"{fake.api_url}/repos/{REPO}/actions/jobs/")
    assert status["sender"]["login"] == "gitea-actions" and status["context"] == "CI / test (push)"
    assert run["sender"]["login"] == job["sender"]["login"] == "alice"
    for name, got in (("workflow_run-completed-failure.json", run), ("workflow_job-completed-failure.json", job)):
        example = json.loads(shared_path("reference", "gitea", "payloads", name).read_text())
        assert list(got) == list(example)
        inner = "workflow_run" if "workflow_run" in got else "workflow_job"
        assert set(example[inner]) <= set(got[inner])  # ToActionWorkflowRun @v1.25.4 sets neither repository_id nor head_repository (omitempty)
        assert set(got[inner].get("steps", [{}])[0]) == set(example[inner].get("steps", [{}])[0])


def sha_of(event: str, body: dict[str, Any]) -> str:
    return body["sha"] if event == "status" else (body.get("workflow_run") or body["workflow_job"])["head_sha"]


def test_a_flaky_test_fails_first_and_passes_on_a_rerun(fake: FakeGitea) -> None:
    ids = install_sample(fake, REPO, bug=None, flaky=True)
    client = forge(fake)
    assert client.get_run(REPO, ids["run_id"])["conclusion"] == "failure"
    assert "TimeoutError: price feed" in job_log(client, ids["run_id"])
    client.rerun_failed_jobs(REPO, ids["run_id"])
    fake.wait_ci(30)
    again = client.get_run(REPO, ids["run_id"])
    assert (again["conclusion"], again["id"], again["run_attempt"], again["head_sha"]) == ("success", ids["run_id"], 0, ids["sha"])  # 1.26: same run, attempt unset
    [job] = client.list_run_jobs(REPO, ids["run_id"])
    assert job["run_attempt"] == 2 and "7 passed" in job_log(client, ids["run_id"])


def test_main_already_broken(fake: FakeGitea) -> None:
    ids = install_sample(fake, REPO, bug="tax_rate", base_broken=True, pull=False)
    client = forge(fake)
    assert ids["pull"] is None
    for run_id in (ids["base_run_id"], ids["run_id"]):
        assert client.get_run(REPO, run_id)["conclusion"] == "failure"
        assert "FAILED tests/test_pricing.py::test_with_tax_adds_twenty_percent" in job_log(client, run_id)


def test_deploy_and_acceptance_are_dispatched_with_inputs(fake: FakeGitea) -> None:
    ids = install_sample(fake, REPO, bug=None)
    client = forge(fake)
    client.dispatch_workflow(REPO, "deploy.yml", ids["branch"], {"environment": "production"})
    fake.wait_ci(30)
    client.dispatch_workflow(REPO, "acceptance.yml", ids["branch"], {"environment": "production"})
    client.dispatch_workflow(REPO, "acceptance.yml", ids["branch"])  # default input: staging, never deployed
    fake.wait_ci(30)
    deploy, good, bad = (client.get_run(REPO, d["run_id"]) for d in fake.dispatches(REPO))
    assert [r["conclusion"] for r in (deploy, good, bad)] == ["success", "success", "failure"]
    assert {r["event"] for r in (deploy, good, bad)} == {"workflow_dispatch"} and deploy["head_sha"] == ids["sha"]
    marker = fake.ci_runner.state_dir(REPO) / "environments" / "production" / "DEPLOYED"
    assert marker.read_text().strip() == ids["sha"]
    assert "deployed " + ids["sha"] + " to production" in job_log(client, deploy["id"])
    assert "smoke test passed" in job_log(client, good["id"])
    assert "::error::nothing is deployed to staging" in job_log(client, bad["id"])
    [job] = client.list_run_jobs(REPO, bad["id"])
    assert [(s["name"], s["conclusion"]) for s in job["steps"]] == [
        ("Check what is deployed", "failure"), ("Smoke test the deployment", "skipped")]


def test_pushes_can_be_left_without_ci_and_dispatch_still_runs(fake: FakeGitea) -> None:
    fake.ci_runner.push_branches = ["main"]
    ids = install_sample(fake, REPO, bug="off_by_one")
    assert ids["base_run_id"] is not None and ids["run_id"] is None  # the feature branch push started nothing
    client = forge(fake)
    client.dispatch_workflow(REPO, "ci.yml", ids["branch"])
    fake.wait_ci(30)
    [run] = client.list_runs(REPO, branch=ids["branch"])
    assert (run["event"], run["conclusion"]) == ("workflow_dispatch", "failure")
    assert [j["name"] for j in client.list_run_jobs(REPO, run["id"])] == ["test"]


def test_the_run_routes_show_every_run(fake: FakeGitea) -> None:
    ids = install_sample(fake, REPO, bug="name_error")
    client = forge(fake)
    client.create_branch(REPO, "copy", ids["branch"])  # a new branch is a push: CI runs on it too
    fake.wait_ci(30)
    runs = client.list_runs(REPO)
    assert [(r["head_branch"], r["conclusion"]) for r in runs] == [
        ("copy", "failure"), ("feature/bulk-pricing", "failure"), ("main", "success")]
    assert [r["id"] for r in client.list_runs(REPO, head_sha=ids["sha"])] == [runs[0]["id"], ids["run_id"]]
    assert "NameError: name 'quantiy' is not defined" in job_log(client, runs[0]["id"])


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_every_seeded_bug_fails_exactly_its_one_test(bug: str, tmp_path: Path) -> None:
    files = sample_files(bug)
    workflow = parse_workflow("ci.yml", files[".gitea/workflows/ci.yml"])
    result = run_job(workflow, workflow.jobs[0], files, context(), tmp_path)
    log = result.log.decode()
    assert result.conclusion == "failure" and "1 failed, 5 passed" in log
    assert f"FAILED {BUGS[bug].failing_test}" in log
    path, search, replace = BUGS[bug].fix()
    assert files[path].decode().replace(search, replace).encode() == clean_files()[path]


def test_the_clean_sample_passes_and_the_flaky_variant_adds_one_test(tmp_path: Path) -> None:
    assert set(sample_files(flaky=True)) - set(clean_files()) == {FLAKY_TEST}
    files = clean_files()
    workflow = parse_workflow("ci.yml", files[".gitea/workflows/ci.yml"])
    result = run_job(workflow, workflow.jobs[0], files, context(), tmp_path)
    assert result.conclusion == "success" and "6 passed" in result.log.decode()
    assert list(tmp_path.iterdir()) == []  # the checkout is gone
    with pytest.raises(ValueError, match="exactly once"):
        seed_bug(b"nothing here", BUGS["off_by_one"])


def context(env: dict[str, str] | None = None, timeout: float = 60) -> JobContext:
    base = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    return JobContext({**base, **(env or {})}, {}, {"sha": "0" * 40}, timeout, "test runner received a task")


STEPS_WORKFLOW = b"""
name: Steps
on: workflow_dispatch
env: {GREETING: hello}
jobs:
  first:
    steps:
      - run: echo "$GREETING from ${{ github.sha }}"; exit 3
      - name: after a failure
        run: echo never
      - name: cleanup
        if: always()
        run: echo cleaning up
  second:
    needs: first
    steps:
      - run: echo never either
"""


def test_steps_run_in_order_with_conditions_needs_and_exit_codes(fake: FakeGitea) -> None:
    fake.commit(REPO, {".gitea/workflows/steps.yml": STEPS_WORKFLOW})
    client = forge(fake)
    client.dispatch_workflow(REPO, "steps.yml", "main")
    fake.wait_ci(30)
    run_id = fake.dispatches(REPO)[0]["run_id"]
    first, second = client.list_run_jobs(REPO, run_id)
    assert [(s["name"], s["conclusion"]) for s in first["steps"]] == [
        ('echo "$GREETING from ${{ github.sha }}"; exit 3', "failure"), ("after a failure", "skipped"),
        ("cleanup", "success")]
    assert (first["conclusion"], second["conclusion"]) == ("failure", "skipped")
    log = b"".join(client.job_log(REPO, first["id"])).decode()
    sha = client.get_run(REPO, run_id)["head_sha"]
    assert f"hello from {sha}" in log and "exitcode '3': failure" in log and "cleaning up" in log
    assert "never" not in log.replace("echo never", "")


def test_a_workflow_that_cannot_run_fails_its_run_with_the_reason(fake: FakeGitea) -> None:
    fake.commit(REPO, {".gitea/workflows/broken.yml": b"on: workflow_dispatch\njobs: [oops]\n",
                       ".gitea/workflows/empty.yml": b"on: workflow_dispatch\njobs: {}\n"})
    client = forge(fake)
    client.dispatch_workflow(REPO, "broken.yml", "main")
    client.dispatch_workflow(REPO, "empty.yml", "main")
    fake.wait_ci(30)
    broken, empty = (client.get_run(REPO, d["run_id"]) for d in fake.dispatches(REPO))
    assert broken["conclusion"] == empty["conclusion"] == "failure"
    assert ".gitea/workflows/broken.yml: jobs: must be a mapping" in job_log(client, broken["id"])
    assert "job 'test' is not in .gitea/workflows/empty.yml" in job_log(client, empty["id"])


def test_jobs_get_a_scrubbed_environment_this_python_and_their_inputs(tmp_path: Path) -> None:
    runner = CiRunner(tmp_path / "ci", environ={"PATH": "/usr/bin:/bin", "TEABOT_GITEA_TOKEN": "s3cret-token",
                                                 "OPENAI_API_KEY": "sk-s3cret", "HOME": str(tmp_path)})
    with FakeGitea("1.25.4", ci_runner=runner) as fake:
        fake.add_user("alice", "alice-token")
        fake.add_repo(REPO, private=True, files={".gitea/workflows/env.yml": (
            b"on: {workflow_dispatch: {inputs: {target: {default: qa}, dry-run: {default: false}}}}\n"
            b"jobs: {show: {steps: [{run: 'env | sort; python -c \"import sys; print(sys.executable)\"'}]}}\n")})
        fake.set_permission(REPO, "alice", "write")
        forge(fake, "alice-token").dispatch_workflow(REPO, "env.yml", "main", {"target": "prod"})
        fake.wait_ci(30)
        [run] = fake.state.repos[REPO].runs.values()
        log = run.jobs[0].log.decode()
    assert "s3cret" not in log and "TEABOT_" not in log and "OPENAI_" not in log
    assert sys.executable in log and "PYTHONDONTWRITEBYTECODE=1" in log and "GITHUB_RUN_ATTEMPT=1" in log
    assert "INPUT_TARGET=prod" in log and "INPUT_DRY_RUN=false" in log and "GITHUB_EVENT_NAME=workflow_dispatch" in log
    assert f"CI_STATE_DIR={tmp_path / 'ci' / 'state' / 'acme__widget'}" in log


def test_install_sample_needs_ci_and_creates_what_is_missing() -> None:
    with pytest.raises(ValueError, match="ci_runner=CiRunner"):
        install_sample(FakeGitea(), REPO)
    runner = CiRunner()  # a workdir of its own, removed on close
    with FakeGitea(ci_runner=runner) as fake:
        ids = install_sample(fake, "bob/tool", bug=None, author="bob", pull=False)
        workdir = runner.workdir
        assert fake.state.repos["bob/tool"].runs[ids["run_id"]].conclusion == "success"
        assert workdir.is_dir() and (workdir / "bin" / "python").exists()
        fake.commit("bob/tool", {".gitea/workflows/slow.yml": "on: workflow_dispatch\njobs: {s: {steps: [run: sleep 1]}}"})
        forge(fake, fake.state.users["bob"].token or "").dispatch_workflow("bob/tool", "slow.yml", "main")
        with pytest.raises(TimeoutError, match="still busy"):
            fake.wait_ci(0.1)
        fake.wait_ci(30)
    assert not workdir.exists()


def test_a_job_over_its_time_limit_fails_quickly(tmp_path: Path) -> None:
    workflow = parse_workflow("slow.yml", b"on: push\njobs: {slow: {steps: [{run: 'echo start; sleep 30'}]}}\n")
    result = run_job(workflow, workflow.jobs[0], {}, context(timeout=0.5), tmp_path)
    log = result.log.decode()
    assert result.conclusion == "failure" and "start" in log and "exceeded the maximum execution time of 0.5s" in log


@pytest.mark.parametrize(("text", "events"), [
    (b"on: push\njobs: {}\n", {"push": {}}),
    (b"on: [push, workflow_dispatch]\njobs: {}\n", {"push": {}, "workflow_dispatch": {}}),
    (b"on:\n  push:\n    branches: [main]\njobs: {}\n", {"push": {"branches": ["main"]}}),
])
def test_workflow_triggers_in_every_spelling(text: bytes, events: dict) -> None:
    assert parse_workflow("w.yml", text).events == events


@pytest.mark.parametrize(("pattern", "branch", "wanted"), [
    ("**", "feature/x", True), ("*", "feature/x", False), ("*", "main", True), ("release/*", "release/1.2", True),
    ("teabot/fix/**", "teabot/fix/ci-4", True), ("main", "mainline", False), ("v?", "v1", True),
])
def test_branch_globs(pattern: str, branch: str, wanted: bool) -> None:
    assert glob_match(pattern, branch) is wanted


def test_push_filters_dispatch_inputs_and_expressions() -> None:
    spec = parse_workflow("w.yml", b"on:\n  push: {branches: ['**'], branches-ignore: ['teabot/**']}\n"
                                   b"  workflow_dispatch: {inputs: {env: {default: staging}, n: {}}}\njobs: {}\n")
    assert spec.runs_on_push("main") and not spec.runs_on_push("teabot/fix/ci-1") and spec.name == "w"
    assert spec.inputs({"n": 3}) == {"env": "staging", "n": "3"}
    assert expand("${{ inputs.env }}/${{github.sha}}/${{ secrets.X }}", {"inputs": {"env": "qa"},
                                                                          "github": {"sha": "abc"}}) == "qa/abc/"


@pytest.mark.parametrize(("text", "message"), [
    (b"on: [push\n", "not valid YAML"), (b"- a\n", "a workflow is a mapping"), (b"jobs: {}\n", "on: must name"),
    (b"on: push\njobs: [a]\n", "jobs: must be a mapping"), (b"on: push\njobs: {t: {steps: [{name: x}]}}\n",
                                                              r"jobs\.t\.steps\[0\]: a step needs"),
])
def test_unreadable_workflows_name_the_file_and_key(text: bytes, message: str) -> None:
    with pytest.raises(WorkflowFileError, match=r"\.gitea/workflows/bad\.yml: .*" + message):
        parse_workflow("bad.yml", text)
