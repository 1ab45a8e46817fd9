"""`teabot serve` without Redis, stopped with work in hand (SIGTERM or SIGKILL) and started again: nothing lost, nothing twice."""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from harness.rig import BOT, Rig, wait_for
from tests.conftest import comment_case

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]
COMMANDS = 12
COMMENTS = r"/repos/acme/widget/issues/\d+/comments"
MARK = re.compile(r"<!-- teabot-effect (teabot-reply_help-\w+)/1 -->")


def _replies(rig: Rig, number: int) -> Counter[str]:
    bodies = [c["body"] for c in rig.fake.list_comments("acme/widget", number) if c["user"]["login"] == BOT]
    return Counter(m for body in bodies for m in MARK.findall(body))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_restart_resumes_every_accepted_job_once(tmp_path: Path, sig: signal.Signals) -> None:
    rig = Rig(tmp_path / "rig", redis_url=None)
    rig.seed()
    with rig:
        rig.start()
        number = rig.fake.add_issue("acme/widget", "Slow Gitea", "", author="alice")
        rig.fake.delay_next("POST", COMMENTS, 1.5, times=COMMANDS)  # Gitea is slow: the jobs pile up
        cases = []
        for _ in range(COMMANDS):  # the comments exist on Gitea (jobs re-read them by id); their deliveries come below
            case = comment_case("/help", comment_id=rig.fake.add_comment("acme/widget", number, "/help", author="alice", deliver=False))
            case["body"]["issue"]["number"] = number
            cases.append(case)
            assert rig.deliver("issue_comment", case["body"]).status_code == 202
        assert rig.receiver is not None
        os.killpg(rig.receiver.pid, sig)
        rig.receiver.wait(40)
        before = sum(_replies(rig, number).values())
        started = time.monotonic()
        rig.start_receiver()  # the same TEABOT_DATA_DIR: the journal is read at start-up
        wait_for(lambda: len(_replies(rig, number)) == COMMANDS, 90, interval=0.5,
                 what=f"{COMMANDS} replies ({len(_replies(rig, number))} so far)\n{rig.logs()[-3000:]}")
        took = time.monotonic() - started
        again = rig.deliver("issue_comment", cases[0]["body"])  # a replay after the restart is still a duplicate
        assert again.status_code == 202 and again.json()["message"].startswith("duplicate")
        health = httpx.get(f"{rig.url}/healthz", timeout=5).json()
        replies = _replies(rig, number)
        duplicated = sum(count - 1 for count in replies.values())
        print(f"\nFIGURE embedded restart ({sig.name}): {COMMANDS} accepted, {before} answered before the stop, "
              f"{COMMANDS - len(replies)} lost, {duplicated} duplicated, all done {took:.1f} s after the restart")
        assert duplicated == 0 and health["jobs_journaled"] == 0


def test_a_session_waiting_for_ci_survives_a_restart(tmp_path: Path) -> None:
    """The fix is pushed, the process is killed while CI runs; the CI result after the restart finds the session."""
    from harness.fake_ci import CiRunner
    from harness.fake_ci.sample import install_sample
    from harness.fake_gitea import FakeGitea
    from harness.fake_model import FakeModelServer
    from tests.integration.test_debugging import fix_reply, status_comment

    repo = "acme/widget"
    runner = CiRunner(tmp_path / "ci", push_branches=["main", "feature/**"])  # the test plays the fix's CI itself
    with FakeModelServer() as model:
        rig = Rig(tmp_path / "rig", redis_url=None, model_url=model.base_url, fake=FakeGitea(ci_runner=runner))
        rig.seed()
        with rig:
            rig.start()
            model.set_script({"replies": [fix_reply("off_by_one")]})
            sample = install_sample(rig.fake, repo, bug="off_by_one")
            pulls = f"/repos/{repo}/pulls"
            wait_for(lambda: "waiting for CI" in (status_comment(rig, sample["pull"]) or ""), 90, interval=0.2,
                     what=f"the fix to wait for CI\n{status_comment(rig, sample['pull'])}\n{rig.logs()[-3000:]}")
            branch = rig.fake.calls("POST", pulls)[0].json["head"]
            assert rig.receiver is not None
            os.killpg(rig.receiver.pid, signal.SIGKILL)  # a crash: nothing is saved on the way out
            rig.receiver.wait(40)
            rig.start_receiver()
            workflow = rig.fake.state.repos[repo].runs[sample["run_id"]].workflow
            run = rig.fake.add_run(repo, workflow=workflow, head_branch=branch, actor=BOT)
            rig.fake.complete_run(repo, run, "success")  # its webhook reaches the new process
            wait_for(lambda: "fixed in 1 attempt" in (status_comment(rig, sample["pull"]) or ""), 60, interval=0.2,
                     what=f"the session to end green\n{status_comment(rig, sample['pull'])}\n{rig.logs()[-4000:]}")
            mine = [c for c in rig.fake.list_comments(repo, sample["pull"]) if c["user"]["login"] == BOT]
            assert len(rig.fake.calls("POST", pulls)) == 1 and len(mine) == 1  # one fix PR, one status comment
    runner.close()
