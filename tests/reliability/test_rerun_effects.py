"""A job restored after a crash runs again from the start: what it already did on Gitea is not done twice."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from bot.config.settings import ModelSettings, Settings
from bot.debug.core.records import State, WaitKind
from bot.debug.core.session import Session
from bot.debug.jobs import debug_attempt, debug_run
from bot.debug.ledger_db import SqliteLedger
from bot.debug.store import SqliteSessionStore
from bot.worker.runtime import Runtime
from bot.worker.state import StateDB
from harness import cast
from harness.cast import BOT, BOT_TOKEN
from harness.fake_gitea import FakeGitea
from tests.agents.test_debug_sweep import REPO, fail_runs
from tests.conftest import RecordingQueue
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


# --- a debug run's re-run, its ledger entry and its fix attempt, when the job runs again -------------------------

INFRA_LOG = "Step 3\nfatal: unable to access https://deps.example.test/: Could not resolve host: deps.example.test\n"
DISPATCHABLE = "on:\n  push:\n  workflow_dispatch:\njobs:\n  test:\n    runs-on: ubuntu-latest\n"


def dies_saving(patch: pytest.MonkeyPatch, after: int = 0) -> None:
    """The process dies when it stores a session, after `after` saves that went through."""
    save, calls = SqliteSessionStore.save, []

    def crash(self: SqliteSessionStore, *args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) > after:
            raise ConnectionError("killed")
        save(self, *args, **kwargs)

    patch.setattr(SqliteSessionStore, "save", crash)


def session_of(data_dir: Path) -> Session:
    store = SqliteSessionStore(StateDB.under(data_dir))
    [key] = store.keys(REPO)
    return Session.from_json(store.load(key))


def test_a_debug_run_that_died_before_saving_records_its_failure_once(
        fake: FakeGitea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    (run_id,) = fail_runs(fake, 1)
    rt = runtime(fake, tmp_path / "data")
    with monkeypatch.context() as patch:
        dies_saving(patch)
        with pytest.raises(ConnectionError):
            debug_run.__wrapped__(rt.for_job(JOB, rerun=False), repo=REPO, run_id=run_id)
    ledger = SqliteLedger(StateDB.under(tmp_path / "data"))
    assert len(ledger.recent(REPO)) == 1
    debug_run.__wrapped__(rt.for_job(JOB, rerun=True), repo=REPO, run_id=run_id)
    [entry] = ledger.recent(REPO)
    assert entry.run_id == str(run_id) and sum(sum(c.values()) for c in ledger.counts(REPO).values()) == 1


def flaky_run(fake: FakeGitea) -> int:
    """A failed run of a dispatchable workflow on main whose log says the network was away: it is re-run once."""
    fake.commit(REPO, {".gitea/workflows/ci.yml": DISPATCHABLE})
    return fake.add_run(REPO, workflow="ci.yml", conclusion="failure", jobs=[{"name": "test", "log": INFRA_LOG}],
                        actor="alice")


def test_a_flaky_run_is_dispatched_once_when_the_debug_run_dies_before_saving(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = cast.Person(BOT, "admin", BOT_TOKEN, "teabot", site_admin=True)  # 1.25 lists runs to a site admin
    fake = cast.seed(FakeGitea("1.25"), cast=(admin, *cast.STANDARD[1:]))
    try:
        run_id = flaky_run(fake)
        rt = runtime(fake, tmp_path / "data")
        with monkeypatch.context() as patch:
            dies_saving(patch)
            with pytest.raises(ConnectionError):
                debug_run.__wrapped__(rt.for_job(JOB, rerun=False), repo=REPO, run_id=run_id)
        assert [d["workflow"] for d in fake.dispatches(REPO)] == ["ci.yml"]  # the first try re-ran it
        debug_run.__wrapped__(rt.for_job(JOB, rerun=True), repo=REPO, run_id=run_id)  # the original run still failed
        assert [d["workflow"] for d in fake.dispatches(REPO)] == ["ci.yml"]
        session = session_of(tmp_path / "data")
        assert session.state is State.RERUNNING and session.waiting_for is not None
        assert session.waiting_for.kind is WaitKind.RERUN
    finally:
        fake.stop()


def test_a_flaky_run_is_re_run_once_by_the_api_when_the_debug_run_dies_before_saving(
        fake: FakeGitea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    run_id = flaky_run(fake)
    reruns = f"/repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs"
    rt = runtime(fake, tmp_path / "data")
    with monkeypatch.context() as patch:
        dies_saving(patch)
        with pytest.raises(ConnectionError):
            debug_run.__wrapped__(rt.for_job(JOB, rerun=False), repo=REPO, run_id=run_id)
    assert len(fake.calls("POST", reruns)) == 1
    debug_run.__wrapped__(rt.for_job(JOB, rerun=True), repo=REPO, run_id=run_id)  # the run is pending again
    fake.start_run(REPO, run_id)
    fake.complete_run(REPO, run_id, "failure", logs={"test": INFRA_LOG})  # and fails again before the next try
    debug_run.__wrapped__(rt.for_job(JOB, rerun=True), repo=REPO, run_id=run_id)
    assert len(fake.calls("POST", reruns)) == 1
    session = session_of(tmp_path / "data")
    assert session.state is State.REPORTED and "failed again after one re-run" in session.reason




def test_a_fix_attempt_that_died_after_pushing_waits_for_its_ci_when_run_again(tmp_path: Path) -> None:
    from harness.fake_ci import CiRunner
    from harness.fake_ci.sample import install_sample
    from harness.fake_model import FakeModelServer
    from tests.integration.test_debugging import fix_reply

    runner = CiRunner(tmp_path / "ci", push_branches=["main", "feature/**"])  # the fix's CI never starts by itself
    fake = cast.seed(FakeGitea("1.26", ci_runner=runner))
    try:
        with FakeModelServer() as model, pytest.MonkeyPatch.context() as patch:
            model.set_script({"replies": [fix_reply("off_by_one")]})  # one reply: a second round would find none
            sample = install_sample(fake, REPO, bug="off_by_one")
            queue = RecordingQueue()
            settings = Settings(gitea_url="http://fake.test", gitea_token=BOT_TOKEN, gitea_retries=0, bot_login=BOT,
                                data_dir=tmp_path / "data", model=ModelSettings(base_url=model.base_url, api_key="k"))
            rt = dataclasses.replace(Runtime.from_settings(settings, queue=queue),
                                     gitea_transport=httpx.WSGITransport(app=fake.app))
            debug_run.__wrapped__(rt.for_job("run-1", rerun=False), repo=REPO, run_id=sample["run_id"])
            [step] = [r for r in queue.requests if r.job.endswith("debug_attempt")]
            dies_saving(patch, after=1)  # the round is opened and saved, the fix pushed; then the process dies
            with pytest.raises(ConnectionError):
                debug_attempt.__wrapped__(rt.for_job("attempt-1", rerun=False), **step.kwargs)
            patch.undo()
            pushes = fake.calls("POST", rf"/repos/{REPO}/contents")
            assert len(pushes) == 1 and session_of(tmp_path / "data").state is State.FIXING
            debug_attempt.__wrapped__(rt.for_job("attempt-1", rerun=True), **step.kwargs)  # restored after the crash
            session = session_of(tmp_path / "data")
            assert session.state is State.WAITING_CI and len(fake.calls("POST", rf"/repos/{REPO}/contents")) == 1
            head = fake.state.repos[REPO].branches[session.fix_branch]
            assert session.attempts[-1].commit == head and session.waiting_for.sha == head
            assert len(fake.calls("POST", f"/repos/{REPO}/pulls")) == 1 and session.fix_pr
            assert len(model.prompts) == 1  # the model was asked once
    finally:
        fake.stop()
        runner.close()
