"""A failed commit says at once that teabot is looking into it, and then where the session stands.

The web process sets a pending `teabot/debug` status when a failure arrives (`FailureMarker`); the
session replaces it with its own state at every step and ends with its outcome, linked to its status
comment; a failure that opens no session gets the reason instead of staying pending.
"""

from __future__ import annotations

import time

import pytest

from bot.config.repo import RepoConfig
from bot.debug import agent as debugger
from bot.debug.core.records import State
from bot.debug.core.report import ACK_DESCRIPTION, STATUS_CONTEXT, commit_status
from bot.debug.core.session import new_session
from bot.debug.store import MemorySessionStore
from bot.forge.client import GiteaClient
from bot.receiver.ack import FailureMarker, FailureTarget
from harness.fake_gitea import FakeGitea
from tests.agents.conftest import BOT

REPO = "acme/widget"
LOG = "+ python -m pytest -q\nE       assert 2 == 1\nFAILED tests/test_widget.py::test_x - AssertionError\n1 failed\n"


@pytest.fixture
def head(fake: FakeGitea) -> str:
    fake.push(REPO, {"widget.py": "x = 1\n"}, branch="main", message="base", author="alice")
    return fake.push(REPO, {"widget.py": "x = 2\n"}, branch="feature/x", base="main", message="change", author="alice")


def deps_for(forge: GiteaClient, *, enabled: bool = True) -> debugger.Deps:
    config = RepoConfig().debug.model_copy(update={"enabled": enabled})
    return debugger.Deps(forge=forge, llm=None, store=MemorySessionStore(), config=config,
                         schedule=lambda step, delay, **kw: None, clock=time.time, bot_login=BOT)


def statuses(fake: FakeGitea, sha: str) -> list[tuple[str, str]]:
    return [(s.state, s.description) for s in fake.state.repos[REPO].statuses
            if s.sha == sha and s.context == STATUS_CONTEXT]


def failed_run(fake: FakeGitea, head: str) -> int:
    return fake.add_run(REPO, head_sha=head, head_branch="feature/x", conclusion="failure", actor="alice",
                        jobs=[{"name": "test", "log": LOG}])


def test_the_acknowledgement_is_replaced_by_the_sessions_outcome_linked_to_its_comment(fake, forge, head) -> None:
    pull = fake.add_issue(REPO, "Change x", "", author="alice", is_pull=True, head="feature/x")
    run_id = failed_run(fake, head)
    assert FailureMarker(lambda: forge, BOT)(FailureTarget(REPO, head, "http://fake.test/run/1", "alice", "ci.yml"))
    session = debugger.start(deps_for(forge), REPO, run_id)
    assert session is not None and session.state is State.REPORTED  # no model: report only
    assert statuses(fake, head) == [("pending", ACK_DESCRIPTION), ("warning", "teabot: report only")]
    latest = fake.state.repos[REPO].statuses[-1]
    comment = fake.state.repos[REPO].comments[session.comment_id]
    assert comment.issue.number == pull and latest.target_url.endswith(f"#issuecomment-{session.comment_id}")


def test_a_failure_that_opens_no_session_says_why_instead_of_staying_pending(fake, forge, head) -> None:
    run_id = failed_run(fake, head)
    fake.add_issue(REPO, "Change x", "", author="alice", is_pull=True, head="feature/x")
    forge.create_status(REPO, head, "pending", STATUS_CONTEXT, ACK_DESCRIPTION)  # the repo turned auto-debug off since
    assert debugger.start(deps_for(forge, enabled=False), REPO, run_id) is None
    assert statuses(fake, head)[-1] == ("success", "teabot: not debugged: auto-debug is off here "
                                                   "(debug.enabled in .gitea/teabot.yaml)")


def test_an_acknowledgement_that_came_after_the_session_started_is_set_back(fake, forge, head) -> None:
    fake.add_issue(REPO, "Change x", "", author="alice", is_pull=True, head="feature/x")
    run_id = failed_run(fake, head)
    deps = deps_for(forge)
    debugger.start(deps, REPO, run_id)
    forge.create_status(REPO, head, "pending", STATUS_CONTEXT, ACK_DESCRIPTION)  # a late acknowledgement
    assert debugger.on_run(deps, REPO, run_id) is None  # the same failure again: no second session
    assert statuses(fake, head)[-1] == ("warning", "teabot: report only")


def test_the_marker_leaves_alone_what_no_session_would_take(fake, forge, head) -> None:
    mark = FailureMarker(lambda: forge, BOT)
    assert not mark(FailureTarget(REPO, head, "", BOT, "ci.yml"))  # the bot's own run (a fix PR's)
    fake.push(REPO, {".gitea/teabot.yaml": "debug:\n  workflows: [release.yml]\n"}, branch="main", message="cfg",
              author="alice")
    assert not FailureMarker(lambda: forge, BOT)(FailureTarget(REPO, head, "", "alice", "ci.yml"))
    fake.push(REPO, {".gitea/teabot.yaml": "debug:\n  enabled: false\n"}, branch="main", message="off", author="alice")
    assert not FailureMarker(lambda: forge, BOT)(FailureTarget(REPO, head, "", "alice", "release.yml"))
    assert statuses(fake, head) == []


def test_the_marker_marks_a_commit_once(fake, forge, head) -> None:
    mark = FailureMarker(lambda: forge, BOT)
    target = FailureTarget(REPO, head, "http://fake.test/run/1", "alice", "ci.yml")
    assert mark(target) and not mark(target)
    assert statuses(fake, head) == [("pending", ACK_DESCRIPTION)]


@pytest.mark.parametrize(("state", "expected"), [
    (State.TRIAGED, "pending"), (State.FIXING, "pending"), (State.WAITING_CI, "pending"), (State.GREEN, "success"),
    (State.FAILED, "failure"), (State.BUDGET_EXHAUSTED, "failure"), (State.REPORTED, "warning"),
    (State.BASE_BROKEN, "warning"),
])
def test_the_commit_status_follows_the_session(state: State, expected: str) -> None:
    session = new_session(REPO, "ci.yml", run_id=1, run_number=1, branch="b", base_branch="main", sha="a" * 40,
                          now=0.0)
    from dataclasses import replace

    found, text = commit_status(replace(session, state=state, outcome="stopped"))
    assert found == expected and text.startswith("teabot: ") and len(text) <= 140
