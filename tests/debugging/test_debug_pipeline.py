"""Pipeline results: an Actions run or an external status as one value, and which one a session awaits."""

from __future__ import annotations

import pytest

from bot.debug.core.pipeline import PipelineResult, Source, is_awaited
from bot.debug.core.records import Wait, WaitKind
from bot.forge.models import Run, Status
from tests.debugging.conftest import SHA, T0

RUN = {"id": 88, "run_number": 15, "path": "ci.yml@refs/heads/feature/add", "event": "push", "head_sha": SHA,
       "head_branch": "feature/add", "status": "completed", "conclusion": "failure", "html_url": "http://g/runs/15",
       "actor": {"login": "alice"}, "trigger_actor": {"login": "alice"}, "run_attempt": 1,
       "completed_at": "2026-01-01T00:10:00Z"}


def result(bot_login: str = "teabot", branch: str = "", **change: object) -> PipelineResult:
    return PipelineResult.from_run("alice/calc", Run.from_api({**RUN, **change}), bot_login=bot_login, branch=branch)


def test_a_failed_run() -> None:
    found = result()
    assert (found.repo, found.sha, found.branch, found.workflow, found.run_id, found.run_number) == (
        "alice/calc", SHA, "feature/add", "ci.yml", 88, 15)
    assert found.failed and found.done and not found.passed and not found.own and not found.external
    assert found.source is Source.ACTIONS and found.author == "alice" and found.url == "http://g/runs/15"


def test_a_pull_request_run_takes_the_branch_it_is_given() -> None:
    bare = {k: v for k, v in RUN.items() if k != "head_branch"}
    found = PipelineResult.from_run("alice/calc", Run.from_api({**bare, "path": "ci.yml@refs/pull/5/head"}),
                                    branch="feature/add")
    assert found.branch == "feature/add" and found.workflow == "ci.yml"
    assert PipelineResult.from_run("alice/calc", Run.from_api(bare)).branch == ""


@pytest.mark.parametrize("change, branch, own", [
    ({}, "", False),
    ({"head_branch": "teabot/fix/ci-15"}, "", True),  # the bot's branch
    ({"head_branch": ""}, "teabot/fix/ci-15", True),  # a pull_request run of the fix PR
    ({"trigger_actor": {"login": "TeaBot"}}, "", True),  # started by the bot (a re-run or a dispatch)
    ({"actor": {"login": "teabot"}, "trigger_actor": None}, "", True),
    ({"actor": {"login": "teabot"}, "trigger_actor": {"login": "alice"}}, "", False),  # alice re-ran it
])
def test_the_bots_own_runs(change: dict, branch: str, own: bool) -> None:
    assert result(branch=branch, **change).own is own


def test_without_a_bot_login_only_the_branch_tells() -> None:
    assert not result(bot_login="", trigger_actor={"login": "teabot"}).own


def test_a_running_run_is_not_done() -> None:
    found = result(status="in_progress", conclusion=None)
    assert not found.done and not found.failed and not found.passed


def test_a_status_result() -> None:
    status = Status.from_api({"id": 7, "sha": SHA, "context": "ci/jenkins", "state": "error", "target_url": "https://j/3/",
                              "updated_at": "2026-01-01T00:10:00Z", "commit": {"author": {"username": "bob"}}})
    found = PipelineResult.from_status("alice/calc", status, branch="feature/add")
    assert found.external and found.failed and found.author == "bob" and found.workflow == "ci/jenkins"
    assert found.run_id == found.run_number == 7 and found.url == "https://j/3/"
    assert PipelineResult.from_status("alice/calc", status, branch="feature/add", author="alice").author == "alice"


def wait(kind: WaitKind, sha: str = SHA, since: float = T0) -> Wait:
    return Wait(kind, "ci.yml", sha, since, since + 600)


@pytest.mark.parametrize("awaited, found, expected", [
    (wait(WaitKind.CI), result(), True),
    (wait(WaitKind.CI, sha="f" * 40), result(), False),
    (wait(WaitKind.CI), result(path="lint.yml@refs/heads/feature/add"), False),
    (wait(WaitKind.VERIFY), result(), True),  # the verification commit's run
    (wait(WaitKind.VERIFY, sha="f" * 40), result(), False),  # the fix commit's run on the new branch: not it
    (wait(WaitKind.RERUN), result(), False),  # the original failure, delivered late
    (wait(WaitKind.RERUN), result(run_attempt=2), True),  # the same run, attempted again
    (wait(WaitKind.RERUN), result(id=89), True),  # a dispatched run
    (wait(WaitKind.DEPLOY, since=T0), result(), True),  # ended at T0 + 600
    (wait(WaitKind.DEPLOY, since=T0 + 900), result(), False),  # ended before the dispatch
    (wait(WaitKind.ACCEPTANCE, since=T0 + 900), result(completed_at=""), True),  # no time: counts as after
])
def test_is_awaited(awaited: Wait, found: PipelineResult, expected: bool) -> None:
    assert is_awaited(awaited, 88, found) is expected
