"""A job restored after a crash runs again from the start: what it already did on Gitea is not done twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.debug.jobs import debug_run
from bot.debug.store import SqliteSessionStore
from bot.worker.state import StateDB
from harness.fake_gitea import FakeGitea
from tests.agents.test_debug_sweep import REPO, fail_runs
from tests.reliability.test_embedded_sweep import fake, reports, runtime  # noqa: F401 - the fixture

JOB = "debug-run-acme-widget-1"


def test_a_debug_run_that_died_after_reporting_opens_its_issue_and_comment_once(
        fake: FakeGitea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    (run_id,) = fail_runs(fake, 1)  # on main, with no pull request: the session reports on an issue of its own
    rt = runtime(fake, tmp_path / "data")
    save = SqliteSessionStore.save
    with monkeypatch.context() as patch:  # the process dies between posting the report and storing the session
        patch.setattr(SqliteSessionStore, "save", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("killed")))
        with pytest.raises(ConnectionError):
            debug_run.__wrapped__(rt.for_job(JOB, rerun=False), repo=REPO, run_id=run_id)
    assert SqliteSessionStore.save is save
    opened, comments = reports(fake)
    assert sum(opened.values()) == 1 and comments == 1  # what the first try left on Gitea
    debug_run.__wrapped__(rt.for_job(JOB, rerun=True), repo=REPO, run_id=run_id)  # the journal runs it again
    again, comments_again = reports(fake)
    assert again == opened and comments_again == comments
    assert len(SqliteSessionStore(StateDB.under(tmp_path / "data")).keys(REPO)) == 1
    debug_run.__wrapped__(rt.for_job(JOB, rerun=True), repo=REPO, run_id=run_id)  # and once more: the session is known
    assert reports(fake) == (opened, comments)


def test_a_plan_approval_run_again_creates_each_ticket_label_link_and_comment_once(
        fake: FakeGitea, tmp_path: Path) -> None:  # noqa: F811
    from bot.plan.jobs import plan_command
    from tests.agents.test_planner import EPICS

    epic = fake.add_issue(REPO, "Epic: Self-service accounts", (EPICS / "accounts.md").read_text(), author="alice")
    rt = runtime(fake, tmp_path / "data")
    plan_command.__wrapped__(rt.for_job("plan-1", rerun=False), repo=REPO, number=epic, login="alice", command="plan")
    approve = {"repo": REPO, "number": epic, "login": "alice", "command": "plan", "args": "approve"}
    plan_command.__wrapped__(rt.for_job("approve-1", rerun=True), **approve)
    effects = {"issues": len(fake.calls("POST", f"/repos/{REPO}/issues")), "labels": len(fake.calls("POST", f"/repos/{REPO}/labels")),
               "links": len(fake.calls("POST", rf"/repos/{REPO}/issues/\d+/dependencies")),
               "comments": len(fake.calls("POST", rf"/repos/{REPO}/issues/\d+/comments"))}
    assert all(effects.values()), effects
    plan_command.__wrapped__(rt.for_job("approve-1", rerun=True), **approve)  # the same job, restored after a crash
    again = {"issues": len(fake.calls("POST", f"/repos/{REPO}/issues")), "labels": len(fake.calls("POST", f"/repos/{REPO}/labels")),
             "links": len(fake.calls("POST", rf"/repos/{REPO}/issues/\d+/dependencies")),
             "comments": len(fake.calls("POST", rf"/repos/{REPO}/issues/\d+/comments"))}
    assert again == effects
