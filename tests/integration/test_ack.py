"""On the rig (real receiver and worker processes): a command is acknowledged with 👀 within 2 s."""

from __future__ import annotations

import time

from harness.rig import Rig, wait_for

REPO = "acme/widget"


def test_a_plan_command_gets_eyes_within_two_seconds(rig: Rig) -> None:
    number = rig.fake.add_issue(REPO, "Epic: reports", "As a user I want monthly reports.", author="alice")
    posted = time.monotonic()
    comment_id = rig.fake.add_comment(REPO, number, "/plan", author="alice")

    def eyes() -> bool:
        with rig.fake.state.lock:
            reactions = rig.fake.state.repos[REPO].comments[comment_id].reactions
            return any(r.content == "eyes" and r.user.login == "teabot" for r in reactions)

    wait_for(eyes, 2.0, interval=0.01, what=f"the 👀 on the /plan comment\n{rig.logs()}")
    assert time.monotonic() - posted < 2.0
    # the command itself still runs and answers in its own comment
    wait_for(lambda: any("teabot" == c["user"]["login"] for c in rig.fake.list_comments(REPO, number)), 60,
             what="the plan comment")


def test_a_plain_comment_gets_no_reaction(rig: Rig) -> None:
    number = rig.fake.add_issue(REPO, "Question", "Why?", author="alice")
    comment_id = rig.fake.add_comment(REPO, number, "thanks, looks good", author="alice")
    delivered = wait_for(lambda: [d for d in rig.fake.wait_deliveries() if d.event == "issue_comment"
                                  and d.payload["comment"]["id"] == comment_id and d.status], 10, what="the delivery")
    # only a 202 (work queued) is acknowledged, and the receiver decides before it answers
    assert [d.status for d in delivered] == [204]
    assert rig.fake.state.repos[REPO].comments[comment_id].reactions == []
