"""The auto-debug agent end to end: a real failing CI run on the fake Gitea → receiver → worker → fix → green."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis as redis_lib
from rq import Queue

from harness.fake_ci import CiRunner, ExternalCi
from harness.fake_ci.sample import BUGS, install_sample
from harness.fake_gitea import FakeGitea
from harness.fake_model import FakeModelServer
from harness.rig import BOT, Rig, wait_for

pytestmark = pytest.mark.integration
REPO = "acme/widget"


def fix_reply(bug: str, *, message: str = "fix(pricing): restore the bulk threshold") -> dict:
    path, search, replace = BUGS[bug].fix()
    return {"tool_calls": [{"name": "propose_edits", "arguments": {
        "diagnosis": "the comparison excludes the threshold itself", "commit_message": message,
        "edits": [{"path": path, "search": search, "replace": replace}]}}]}


def status_comment(rig: Rig, number: int) -> str | None:
    return next((c["body"] for c in rig.fake.list_comments(REPO, number)
                 if c["user"]["login"] == BOT and "teabot:debug" in c["body"]), None)


@pytest.fixture
def model() -> FakeModelServer:
    with FakeModelServer() as server:
        yield server


@pytest.fixture
def gitea_version() -> str:
    """The Gitea release the rig's fake behaves as; 1.25 unless a test needs what only later ones allow."""
    return "1.25"


@pytest.fixture
def ci_rig(tmp_path: Path, redis_url: str, model: FakeModelServer, gitea_version: str) -> Rig:
    runner = CiRunner(tmp_path / "ci")
    rig = Rig(tmp_path / "rig", redis_url=redis_url, model_url=model.base_url,
              fake=FakeGitea(gitea_version, ci_runner=runner))
    rig.seed()
    with rig:
        rig.start()
        yield rig
    runner.close()


def test_bug_is_fixed_in_one_attempt(ci_rig: Rig, model: FakeModelServer) -> None:
    model.set_script({"replies": [fix_reply("off_by_one")]})
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one")
    wait_for(lambda: "fixed in 1 attempt" in (status_comment(ci_rig, sample["pull"]) or ""), 120,
             what=f"the fix\n{status_comment(ci_rig, sample['pull'])}\n{ci_rig.logs()}")
    comment = status_comment(ci_rig, sample["pull"])
    assert "@alice" in comment and "teabot/fix/" in comment
    pulls = [c for c in ci_rig.fake.calls("POST", f"/repos/{REPO}/pulls")]
    assert len(pulls) == 1 and pulls[0].json["head"].startswith("teabot/fix/")
    assert all(c.json["branch"].startswith("teabot/") for c in ci_rig.fake.calls("POST", f"/repos/{REPO}/contents"))


def edit_reply(path: str, search: str, replace: str, message: str = "fix(pricing): adjust pricing constants") -> dict:
    return {"tool_calls": [{"name": "propose_edits", "arguments": {
        "diagnosis": "a guess", "commit_message": message, "edits": [{"path": path, "search": search, "replace": replace}]}}]}


# Patches that apply and change nothing that matters: the failing test stays red.
WRONG = [edit_reply("widget/pricing.py", '"""The price of one unit when `quantity` units are ordered."""',
                    '"""The price of one unit for an order of `quantity` units."""'),
         edit_reply("widget/pricing.py", '"""The price of `quantity` units before tax."""',
                    '"""The price of `quantity` units, before tax."""'),
         edit_reply("widget/pricing.py", '"""`amount` plus tax."""', '"""`amount` with tax added."""')]


def pushes(rig: Rig) -> list:
    return [c for c in rig.fake.calls("POST", f"/repos/{REPO}/contents") if c.status == 201]


def wait_outcome(rig: Rig, number: int, text: str, timeout: float = 150) -> str:
    wait_for(lambda: text in (status_comment(rig, number) or ""), timeout,
             what=f"{text!r} in the status comment")
    return status_comment(rig, number)


def test_wrong_patch_then_right_patch_is_green_at_attempt_two(ci_rig: Rig, model: FakeModelServer) -> None:
    model.set_script({"replies": [WRONG[0], fix_reply("off_by_one")]})
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one")
    comment = wait_outcome(ci_rig, sample["pull"], "fixed in 2 attempts")
    assert "| 1/3 |" in comment and "| 2/3 |" in comment and "red" in comment and len(pushes(ci_rig)) == 2


def test_the_attempt_cap_stops_the_loop(ci_rig: Rig, model: FakeModelServer) -> None:
    model.set_script({"replies": WRONG})
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one")
    comment = wait_outcome(ci_rig, sample["pull"], "attempt cap 3/3", timeout=240)
    assert len(pushes(ci_rig)) == 3 and "| 3/3 |" in comment
    ci_rig.fake.wait_ci(30)
    assert len(pushes(ci_rig)) == 3  # nothing pushed after the cap


def test_deleting_the_failing_test_is_rejected_and_never_pushed(ci_rig: Rig, model: FakeModelServer) -> None:
    cheat = edit_reply("tests/test_pricing.py", 'def test_bulk_discount_starts_at_the_threshold():\n    assert unit_price('
                       'Decimal("10.00"), 10) == Decimal("9.00")\n\n\n', "", message="test: drop a flaky check")
    model.set_script({"replies": [cheat, fix_reply("off_by_one")]})
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one")
    comment = wait_outcome(ci_rig, sample["pull"], "fixed in 2 attempts")
    assert "rejected" in comment.lower()
    touched = {f["path"] for c in pushes(ci_rig) for f in c.json["files"]}
    assert touched == {"widget/pricing.py"}
    revision = "\n".join(m["content"] for m in model.prompts[1] if isinstance(m.get("content"), str))
    assert "removes test cases" in revision and "rejected" in revision  # the reason went back to the model


def test_a_flaky_failure_is_rerun_and_marked_flaky(ci_rig: Rig, model: FakeModelServer) -> None:
    sample = install_sample(ci_rig.fake, REPO, bug=None, flaky=True)
    comment = wait_outcome(ci_rig, sample["pull"], "✅ flaky: passed on re-run")
    assert "the failure is recorded as flaky" in comment and "| 1/" not in comment  # no attempt was made
    assert not pushes(ci_rig) and not model.prompts and not ci_rig.fake.calls("POST", f"/repos/{REPO}/pulls")


# Comparing with the base branch lists runs: on Gitea 1.25 only the owner or a site admin may (README).
@pytest.mark.parametrize("gitea_version", ["1.26"])
def test_a_failure_already_on_the_base_branch_is_only_reported(ci_rig: Rig, model: FakeModelServer) -> None:
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one", base_broken=True)
    wait_outcome(ci_rig, sample["pull"], "already broken on main")
    assert not pushes(ci_rig) and not model.prompts


def test_deploy_and_acceptance_are_dispatched_and_awaited(ci_rig: Rig, model: FakeModelServer) -> None:
    config = ("debug:\n  deploy: {workflow: deploy.yml, inputs: {environment: staging}}\n"
              "  acceptance: {workflow: acceptance.yml, inputs: {environment: staging}}\n")
    model.set_script({"replies": [fix_reply("off_by_one")]})
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one", extra_files={".gitea/teabot.yaml": config})
    comment = wait_outcome(ci_rig, sample["pull"], "fixed in 1 attempt", timeout=180)
    assert "deploy.yml" in comment and "acceptance.yml" in comment
    dispatched = [d["workflow"] for d in ci_rig.fake.dispatches(REPO)]
    assert dispatched[-2:] == ["deploy.yml", "acceptance.yml"]


def test_the_sweep_starts_sessions_the_receiver_missed(tmp_path: Path, redis_url: str, model: FakeModelServer) -> None:
    runner = CiRunner(tmp_path / "ci")  # the sweep lists failed runs: Gitea 1.26 lets the bot (an Admin collaborator)
    rig = Rig(tmp_path / "rig", redis_url=redis_url, model_url=model.base_url, fake=FakeGitea("1.26", ci_runner=runner))
    rig.seed()
    model.set_script({"replies": [fix_reply("off_by_one")]})
    with rig:
        rig.start()
        os.killpg(rig.receiver.pid, signal.SIGKILL)  # the receiver is down when the run fails
        rig.receiver.wait(10)
        sample = install_sample(rig.fake, REPO, bug="off_by_one")
        rig.start_receiver()
        result = subprocess.run([sys.executable, "-m", "bot", "sweep", "--repo", REPO], env=rig.env(), cwd=rig.workdir,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        wait_outcome(rig, sample["pull"], "fixed in 1 attempt")
    runner.close()


def test_waiting_for_ci_occupies_no_worker_and_a_missing_run_is_dispatched(
        tmp_path: Path, redis_url: str, model: FakeModelServer) -> None:
    runner = CiRunner(tmp_path / "ci")  # the poll lists the fix commit's runs: 1.26 lets an Admin collaborator
    rig = Rig(tmp_path / "rig", redis_url=redis_url, model_url=model.base_url, fake=FakeGitea("1.26", ci_runner=runner))
    rig.seed()
    model.set_script({"replies": [fix_reply("off_by_one")]})
    with rig:
        rig.start()
        sample = install_sample(rig.fake, REPO, bug="off_by_one",
                                extra_files={".gitea/teabot.yaml": "debug:\n  poll_interval_seconds: 5\n"})
        runner.push_branches = []  # from now on pushes start no CI: the bot must notice and dispatch
        wait_outcome(rig, sample["pull"], "waiting for CI", timeout=60)
        queue = Queue(rig.queue_name, connection=redis_lib.Redis.from_url(redis_url))
        # the step that wrote "waiting for CI" ends right after the edit; then no worker is busy while it waits
        wait_for(lambda: queue.started_job_registry.count == 0 and queue.count == 0, 15, what="the workers to be idle")
        assert queue.scheduled_job_registry.count >= 1  # only the timed poll is pending
        wait_outcome(rig, sample["pull"], "fixed in 1 attempt", timeout=60)
        assert [d["workflow"] for d in rig.fake.dispatches(REPO)] == ["ci.yml"]
    runner.close()


def test_the_demo_goes_green_from_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEABOT_", "OPENAI_", "REDIS_URL"))}
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--timeout", "120"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "fixed in 1 attempt" in result.stdout and "teabot/fix/" in result.stdout


def external_rig(tmp_path: Path, redis_url: str, model: FakeModelServer, *, hosts: str) -> tuple[Rig, ExternalCi]:
    """The rig whose repository is built by an external CI (Jenkins-like) that reports commit statuses."""
    jenkins = ExternalCi(tmp_path / "jenkins", context="ci/jenkins")
    fake = FakeGitea(ci_runner=jenkins)
    rig = Rig(tmp_path / "rig", redis_url=redis_url, model_url=model.base_url, fake=fake,
              extra_env={"TEABOT_CI_LOG_HOSTS": hosts.format(port=urlsplit(jenkins.start()).port)})
    rig.seed()
    jenkins.setup(fake, REPO)
    return rig, jenkins


JENKINS_CONFIG = {".gitea/teabot.yaml": "debug:\n  external_ci: {log_url: '{target}/consoleText'}\n"}


def test_a_failed_external_status_is_fixed_and_the_next_status_resumes_the_session(
        tmp_path: Path, redis_url: str, model: FakeModelServer) -> None:
    rig, jenkins = external_rig(tmp_path, redis_url, model, hosts="127.0.0.1:{port}")
    model.set_script({"replies": [fix_reply("off_by_one")]})
    with rig:
        rig.start()
        sample = install_sample(rig.fake, REPO, bug="off_by_one", extra_files=JENKINS_CONFIG)
        comment = wait_outcome(rig, sample["pull"], "fixed in 1 attempt", timeout=120)
        assert "the external check `ci/jenkins` failed on `feature/bulk-pricing`" in comment
        assert "Decimal('10.00')" in comment and "teabot/fix/ci-jenkins-" in comment
        assert any(path.endswith("/consoleText") for path in jenkins.requests)  # the log came from the allowed host
        fix = [b for b in jenkins.builds if b[3].startswith("teabot/fix/") and b[2] != sample["sha"]]
        assert [b[4] for b in fix] == ["success"] and not rig.fake.dispatches(REPO)  # no Actions run was asked for
        assert comment.count("| 1/3 |") == 1 and f"/job/acme/widget/{fix[0][0]}/" in comment  # the fix's build is linked
        assert not [r for r in rig.fake.state.repos[REPO].runs.values()]


def test_an_external_log_on_a_host_not_allowed_is_not_read_and_the_report_says_why(
        tmp_path: Path, redis_url: str, model: FakeModelServer) -> None:
    rig, jenkins = external_rig(tmp_path, redis_url, model, hosts="jenkins.example.com")
    with rig:
        rig.start()
        sample = install_sample(rig.fake, REPO, bug="off_by_one", extra_files=JENKINS_CONFIG)
        comment = wait_outcome(rig, sample["pull"], "report only", timeout=60)
        assert "triage skipped" in comment and "is not in TEABOT_CI_LOG_HOSTS" in comment
        assert jenkins.requests == [] and not model.prompts and not pushes(rig)


@pytest.mark.parametrize("gitea_version", ["1.26"])  # /debug looks up the branch's failed runs
def test_debug_command_starts_a_session_when_automatic_ones_are_off(ci_rig: Rig, model: FakeModelServer) -> None:
    model.set_script({"replies": [fix_reply("off_by_one")]})
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one", extra_files={".gitea/teabot.yaml": "debug:\n  enabled: false\n"})
    ci_rig.fake.add_comment(REPO, sample["pull"], "/debug", author="bob")  # read access only
    refusal = wait_for(lambda: next((c["body"] for c in ci_rig.fake.list_comments(REPO, sample["pull"])
                                     if c["user"]["login"] == BOT), None), 30, what="the refusal")
    assert "@bob" in refusal and status_comment(ci_rig, sample["pull"]) is None  # debug.enabled: false → no session
    ci_rig.fake.add_comment(REPO, sample["pull"], "/debug", author="alice")
    comment = wait_outcome(ci_rig, sample["pull"], "fixed in 1 attempt")
    assert "teabot/fix/" in comment and len(pushes(ci_rig)) == 1


def test_a_broken_repo_config_is_shown_on_the_failed_commit(ci_rig: Rig, model: FakeModelServer) -> None:
    sample = install_sample(ci_rig.fake, REPO, bug="off_by_one",
                            extra_files={".gitea/teabot.yaml": "debug:\n  budget: {atempts: 2}\n"})

    def config_status() -> dict | None:
        statuses = ci_rig.fake.state.repos[REPO].statuses
        return next((s for s in statuses if s.sha == sample["sha"] and s.context == "teabot/config"), None)

    status = wait_for(config_status, 60, what=f"the teabot/config status\n{ci_rig.logs()}")
    assert status.state == "error" and status.creator.login == BOT
    assert ".gitea/teabot.yaml: debug.budget.atempts: unknown key" in status.description
    assert status_comment(ci_rig, sample["pull"]) is None and not pushes(ci_rig) and not model.prompts
