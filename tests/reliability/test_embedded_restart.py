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
