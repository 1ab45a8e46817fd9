"""Actions runs as Gitea really sends them: pull_request runs without `head_branch`, and the bot's own runs.

Gitea leaves `head_branch` out of a pull_request run (its ref is refs/pull/N/head, see
shared/reference/gitea/QUIRKS.md); `PullRequestRuns` makes the fake Gitea answer the same way.
"""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from bot.config.repo import RepoConfig
from bot.config.settings import Settings
from bot.debug import agent as debugger
from bot.debug.core.decide import Decision, Kind
from bot.debug.core.records import State
from bot.debug.core.session import Session, new_session, session_key
from bot.debug.store import MemorySessionStore
from bot.forge import make_forge
from bot.forge.client import GiteaClient
from harness.fake_gitea import FakeGitea
from tests.agents.conftest import BOT, BOT_TOKEN

REPO = "acme/widget"
LOG = "+ python -m pytest -q\nE       assert 2 == 1\nFAILED tests/test_widget.py::test_x - AssertionError\n1 failed\n"
_RUNS = re.compile(r"/actions/runs(/\d+(/jobs)?)?$")


class PullRequestRuns(httpx.BaseTransport):
    """The fake Gitea, with runs and jobs of `pull_request` events shaped as Gitea 1.25 shapes them."""

    def __init__(self, fake: FakeGitea) -> None:
        self.inner = httpx.WSGITransport(app=fake.app)
        self.pull_runs: set[int] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET" or not _RUNS.search(request.url.path):
            return response
        response.read()
        return httpx.Response(response.status_code, headers={"content-type": "application/json"},
                              json=self._reshape(response.json()))

    def _reshape(self, data: dict) -> dict:
        if "workflow_runs" in data:
            return {**data, "workflow_runs": [self._reshape(run) for run in data["workflow_runs"]]}
        if "jobs" in data:
            return {**data, "jobs": [self._drop(job, job.get("run_id")) for job in data["jobs"]]}
        return self._drop(data, data.get("id"))

    def _drop(self, item: dict, run_id: object) -> dict:
        if run_id not in self.pull_runs:
            return item
        workflow = str(item.get("path") or "").split("@", 1)[0]
        item = {k: v for k, v in item.items() if k != "head_branch"}
        return {**item, "path": f"{workflow}@refs/pull/1/head"} if "path" in item else item


@pytest.fixture
def gitea(fake: FakeGitea) -> PullRequestRuns:
    return PullRequestRuns(fake)


@pytest.fixture
def forge(gitea: PullRequestRuns) -> GiteaClient:
    settings = Settings(gitea_url="http://fake.test", gitea_token=BOT_TOKEN, gitea_retries=0)
    return make_forge(settings, transport=gitea)


@pytest.fixture
def world(fake: FakeGitea) -> dict:
    fake.push(REPO, {"widget.py": "x = 1\n"}, branch="main", message="base", author="alice")
    head = fake.push(REPO, {"widget.py": "x = 2\n"}, branch="feature/x", base="main", message="change", author="alice")
    pull = fake.add_issue(REPO, "Change x", "", author="alice", is_pull=True, head="feature/x")
    return {"head": head, "pull": pull}


def deps_for(forge: GiteaClient, store: MemorySessionStore | None = None, scheduled: list | None = None) -> debugger.Deps:
    return debugger.Deps(forge=forge, llm=None, store=store or MemorySessionStore(), config=RepoConfig().debug,
                         schedule=lambda step, delay, **kw: (scheduled if scheduled is not None else []).append((step, kw)),
                         clock=time.time, bot_login=BOT)


def pull_request_run(fake: FakeGitea, gitea: PullRequestRuns, branch: str, **details: object) -> int:
    run_id = fake.add_run(REPO, head_branch=branch, event="pull_request", jobs=[{"name": "test", "log": LOG}], **details)
    gitea.pull_runs.add(run_id)
    return run_id


def test_the_shim_shapes_pull_request_runs_as_gitea_does(fake, gitea, forge, world) -> None:
    run_id = pull_request_run(fake, gitea, "feature/x", conclusion="failure")
    run = forge.get_run(REPO, run_id)
    assert "head_branch" not in run and run["path"] == "ci.yml@refs/pull/1/head"
    assert all("head_branch" not in job for job in forge.list_run_jobs(REPO, run_id))


def test_a_failed_pull_request_run_opens_a_session_on_its_pull_requests_branch(fake, gitea, forge, world) -> None:
    run_id = pull_request_run(fake, gitea, "feature/x", conclusion="failure", actor="alice")
    session = debugger.start(deps_for(forge), REPO, run_id)
    assert session is not None and session.branch == "feature/x" and session.pr_number == world["pull"]
    assert session.sha == world["head"] and session.category == "test" and session.state is State.REPORTED


def test_a_pull_request_run_whose_pull_request_is_gone_is_ignored(fake, gitea, forge, world) -> None:
    run_id = pull_request_run(fake, gitea, "feature/x", conclusion="failure", actor="alice")
    forge.edit_pull(REPO, world["pull"], state="closed")
    assert debugger.start(deps_for(forge), REPO, run_id) is None


@pytest.mark.parametrize("gitea_version", ["1.26"])  # the sweep lists runs: 1.25 allows only the owner
def test_the_sweep_goes_on_past_a_pull_request_run(fake, gitea, forge, world) -> None:
    fake.add_run(REPO, head_branch="main", conclusion="failure", jobs=[{"name": "test", "log": LOG}], actor="alice")
    pull_request_run(fake, gitea, "feature/x", conclusion="failure", actor="alice")  # the newest: swept first
    store = MemorySessionStore()
    started = debugger.sweep(deps_for(forge, store), REPO)
    assert len(started) == 2 and session_key(REPO, world["head"], "ci.yml") in started
    assert debugger.sweep(deps_for(forge, store), REPO) == []


def waiting_for_fix(fake: FakeGitea, world: dict, store: MemorySessionStore) -> tuple[Session, str]:
    """A session whose fix is pushed to teabot/fix/ci-7, with its pull request, waiting for CI."""
    fix = fake.push(REPO, {"widget.py": "x = 1\n"}, branch="teabot/fix/ci-7", base="feature/x", message="fix: x",
                    author=BOT)
    pr = fake.add_issue(REPO, "fix: x", "", author=BOT, is_pull=True, head="teabot/fix/ci-7", base="feature/x")
    now = time.time()
    session = new_session(REPO, "ci.yml", run_id=7, run_number=7, branch="feature/x", base_branch="main",
                          sha=world["head"], now=now, pr_number=world["pull"])
    session = session.triaged("test", "fp", "test: assert", now=now).decided(Decision(Kind.FIX, "fix it"), now=now)
    session = session.start_attempt(now=now).wait_for_ci(fix, "teabot/fix/ci-7", now=now, timeout_s=600).with_ids(fix_pr=pr)
    store.save(session.key, json.dumps(session.to_json()), repo=REPO, branch=session.fix_branch,
               commits=session.fix_commits)
    return session, fix


def test_a_pull_request_run_of_the_fix_resumes_its_session(fake, gitea, forge, world) -> None:
    store, scheduled = MemorySessionStore(), []
    session, fix = waiting_for_fix(fake, world, store)
    run_id = pull_request_run(fake, gitea, "teabot/fix/ci-7", conclusion="failure", actor=BOT)
    done = debugger.on_run(deps_for(forge, store, scheduled), REPO, run_id)
    assert done is not None and done.key == session.key and done.attempts[-1].result.value == "red"
    assert done.state is State.FIXING and scheduled == [("attempt", {"key": session.key})]
    assert store.keys(REPO) == [session.key]


@pytest.mark.parametrize("actor", [BOT, "alice"])
def test_a_failed_run_on_a_fix_commit_never_opens_a_session(fake, gitea, forge, world, actor) -> None:
    store = MemorySessionStore()
    session, fix = waiting_for_fix(fake, world, store)
    forge.edit_pull(REPO, 2, state="closed")  # the branch cannot be found: only the commit says whose it is
    run_id = pull_request_run(fake, gitea, "teabot/fix/ci-7", conclusion="failure", actor=actor, workflow="lint.yml")
    deps = deps_for(forge, store)
    assert debugger.start(deps, REPO, run_id) is None and debugger.on_run(deps, REPO, run_id) is None
    assert debugger.sweep(deps, REPO) == [] and store.keys(REPO) == [session.key]


def test_a_failed_run_the_bot_started_opens_no_session(fake, gitea, forge, world) -> None:
    run_id = fake.add_run(REPO, head_branch="feature/x", event="workflow_dispatch", conclusion="failure", actor=BOT,
                          jobs=[{"name": "test", "log": LOG}])
    deps = deps_for(forge)
    assert debugger.start(deps, REPO, run_id) is None and debugger.sweep(deps, REPO) == []


def test_the_store_finds_a_session_by_its_fix_commit(fake, world) -> None:
    store = MemorySessionStore()
    session, fix = waiting_for_fix(fake, world, store)
    assert store.key_for_commit(REPO, fix) == session.key and store.key_for_commit(REPO, world["head"]) is None
