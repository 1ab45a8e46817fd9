"""External CI: a failed commit status opens a session; its log is read only from allowed hosts.

The fake Gitea runs in-process; the external CI's log server is an httpx.MockTransport that
records what the bot asked for.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.debug import agent as debugger
from bot.debug.external_logs import ExternalLogs, html_text
from bot.debug.core.external import LogUnavailable
from bot.debug.core.decide import Decision, Kind
from bot.debug.core.records import State
from bot.debug.core.session import Session, new_session
from bot.debug.core.settings import Phases
from harness.fake_gitea import FakeGitea
from harness.fake_gitea.payloads import status_event
from harness.fake_gitea.serialize_code import Shapes
from bot.forge.client import GiteaClient
from bot.forge.models import Status
from bot.config.repo import ExternalCiSettings, RepoConfig
from bot.debug.store import MemorySessionStore

REPO, CONTEXT, HOST = "acme/widget", "ci/jenkins", "jenkins.example.com"
FAILED_LOG = (b"Started by an SCM change\n[Pipeline] stage (test)\n+ python -m pytest -q\n"
              b"E       assert Decimal('10.00') == Decimal('9.00')\n"
              b"FAILED tests/test_pricing.py::test_bulk_discount_starts_at_the_threshold - AssertionError\n"
              b"1 failed, 11 passed in 0.21s\nFinished: FAILURE\n")
TIMEOUT_LOG = (b"Started by an SCM change\n+ python -m pytest -q\n"
               b"E   TimeoutError: price feed at 10.20.0.7:8443 did not answer within 5.0s (read timeout)\n"
               b"FAILED tests/test_price_feed.py::test_price_feed_answers - TimeoutError\nFinished: FAILURE\n")


class LogServer:
    """The external CI's web server: answers per path, records every request."""

    def __init__(self) -> None:
        self.pages: dict[str, httpx.Response] = {}
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(str(request.url))
        return self.pages.get(str(request.url), httpx.Response(404, text="no such build"))

    def text(self, url: str, body: bytes, kind: str = "text/plain; charset=utf-8") -> None:
        self.pages[url] = httpx.Response(200, content=body, headers={"content-type": kind})


@pytest.fixture
def ci() -> LogServer:
    return LogServer()


@pytest.fixture
def world(fake: FakeGitea) -> dict:
    base = fake.push(REPO, {"widget.py": "x = 1\n"}, branch="main", message="base", author="alice")
    head = fake.push(REPO, {"widget.py": "x = 2\n"}, branch="feature/x", base="main", message="change", author="alice")
    pull = fake.add_issue(REPO, "Change x", "", author="alice", is_pull=True, head="feature/x")
    return {"base": base, "head": head, "pull": pull}


def deps_for(forge: GiteaClient, ci: LogServer, *, hosts=(HOST,), template="{target}/consoleText",
             store=None, scheduled=None, **config) -> debugger.Deps:
    logs = ExternalLogs(tuple(hosts), template, transport=httpx.MockTransport(ci))
    debug = RepoConfig().debug.model_copy(update=config)
    return debugger.Deps(forge=forge, llm=None, store=store or MemorySessionStore(), config=debug,
                         schedule=lambda step, delay, **kw: (scheduled if scheduled is not None else []).append((step, kw)),
                         clock=time.time, bot_login="teabot", external=logs)


def status(sha: str, state: str = "failure", *, build: int = 3, id: int = 70, context: str = CONTEXT) -> dict:
    return {"id": id, "sha": sha, "context": context, "state": state, "description": f"Build #{build} {state}",
            "target_url": f"https://{HOST}/job/widget/{build}/", "sender": {"login": "jenkins"},
            "updated_at": "2026-11-22T10:00:00Z", "commit": {"author": {"username": "alice"}}}


def post_status(fake: FakeGitea, sha: str, state: str, build: int) -> None:
    """The external CI (user jenkins) sets a commit status through Gitea's API."""
    if "jenkins" not in fake.state.users:
        fake.add_user("jenkins", "jenkins-token")
        fake.set_permission(REPO, "jenkins", "write")
    with httpx.Client(transport=httpx.WSGITransport(app=fake.app), base_url="http://fake.test/api/v1") as http:
        http.post(f"/repos/{REPO}/statuses/{sha}", headers={"Authorization": "token jenkins-token"},
                  json={"state": state, "context": CONTEXT, "target_url": f"https://{HOST}/job/widget/{build}/"}
                  ).raise_for_status()


def bot_comments(fake: FakeGitea, number: int) -> list[str]:
    return [c["body"] for c in fake.list_comments(REPO, number) if c["user"]["login"] == "teabot"]


def test_a_failed_external_status_is_triaged_from_its_log(fake, forge, world, ci) -> None:
    ci.text(f"https://{HOST}/job/widget/3/consoleText", FAILED_LOG)
    session = debugger.on_status(deps_for(forge, ci), REPO, status(world["head"]))
    assert ci.seen == [f"https://{HOST}/job/widget/3/consoleText"]
    assert session.external and session.category == "test" and session.state is State.REPORTED
    [comment] = bot_comments(fake, world["pull"])
    assert "the external check `ci/jenkins` failed on `feature/x` (PR #1)" in comment
    assert f"([build](https://{HOST}/job/widget/3/))" in comment and "@alice" in comment
    assert "test_bulk_discount_starts_at_the_threshold" in comment and "no model is configured" in comment


def delivered(fake: FakeGitea, sha: str) -> dict:
    """The status webhook the fake Gitea sends for the newest status on `sha`."""
    repo = fake.state.repos[REPO]
    newest = [s for s in repo.statuses if s.sha == sha][-1]
    return status_event(Shapes(fake.state, newest.creator), newest, repo, newest.creator)[1]


def test_a_delivered_status_takes_the_id_the_statuses_api_shows(fake, forge, world, ci) -> None:
    """Gitea's status webhook carries the row id, its API the per-commit index (notifier.go::
    CreateCommitStatus, convert/status.go::ToCommitStatus @v1.25.4): the session keeps the API's, as a
    poll or sweep finds the same status."""
    post_status(fake, world["base"], "failure", 2)
    post_status(fake, world["head"], "failure", 3)
    ci.text(f"https://{HOST}/job/widget/3/consoleText", FAILED_LOG)
    payload = delivered(fake, world["head"])
    [listed] = forge.list_statuses(REPO, world["head"])
    assert payload["id"] != listed["id"]
    session = debugger.on_status(deps_for(forge, ci), REPO, payload)
    assert session.run_id == listed["id"] == 1 and session.state is State.REPORTED


def test_a_host_that_is_not_allowed_is_never_asked_and_the_report_says_why(fake, forge, world, ci) -> None:
    session = debugger.on_status(deps_for(forge, ci, hosts=()), REPO, status(world["head"]))
    assert ci.seen == [] and session.state is State.REPORTED and session.category == ""
    [comment] = bot_comments(fake, world["pull"])
    assert "**Triage:** triage skipped" in comment and "TEABOT_CI_LOG_HOSTS" in comment
    assert "report only" in comment


def test_a_redirect_to_another_host_is_refused(fake, forge, world, ci) -> None:
    ci.pages[f"https://{HOST}/job/widget/3/consoleText"] = httpx.Response(
        302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
    session = debugger.on_status(deps_for(forge, ci), REPO, status(world["head"]))
    assert ci.seen == [f"https://{HOST}/job/widget/3/consoleText"]  # the redirect was not followed
    assert "169.254.169.254:80 is not in TEABOT_CI_LOG_HOSTS" in session.reason


def test_a_redirect_within_the_allowed_host_is_followed(fake, forge, world, ci) -> None:
    ci.pages[f"https://{HOST}/job/widget/3/consoleText"] = httpx.Response(302, headers={"location": "/logs/3.txt"})
    ci.text(f"https://{HOST}/logs/3.txt", FAILED_LOG)
    assert debugger.on_status(deps_for(forge, ci), REPO, status(world["head"])).category == "test"


def test_an_html_build_page_is_read_as_text(fake, forge, world, ci) -> None:
    page = (b"<html><head><script>var FAILED = 'not a log line';</script><style>pre{}</style></head><body>"
            b"<nav>Dashboard &gt; widget &gt; #3</nav><pre>" + FAILED_LOG.replace(b"'", b"&#39;") + b"</pre></body></html>")
    ci.text(f"https://{HOST}/job/widget/3/", page, "text/html;charset=utf-8")
    session = debugger.on_status(deps_for(forge, ci, template="{target_url}"), REPO, status(world["head"]))
    assert session.category == "test" and "Decimal('10.00')" in session.excerpt
    assert b"not a log line" not in html_text(page) and b"Dashboard > widget > #3" in html_text(page)


def test_only_the_tail_of_a_huge_log_is_kept(fake, forge, world, ci) -> None:
    ci.text(f"https://{HOST}/job/widget/3/consoleText", b"progress line\n" * 200_000 + FAILED_LOG)
    logs = ExternalLogs((HOST,), "{target}/consoleText", max_bytes=512 * 1024, transport=httpx.MockTransport(ci))
    raw = logs.fetch(Status.from_api(status(world["head"])))  # 2.8 MB: the last 512 KiB are kept
    assert len(raw) == 512 * 1024 and raw.endswith(FAILED_LOG)
    small = ExternalLogs((HOST,), "{target}/consoleText", max_bytes=64 * 1024, transport=httpx.MockTransport(ci))
    with pytest.raises(LogUnavailable, match="was not read: the log is larger than 524,288 bytes"):
        small.fetch(Status.from_api(status(world["head"])))  # more than 8 × 64 KiB: not read to its end


def test_an_unreachable_log_is_a_reason_not_a_crash(fake, forge, world, ci) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    deps = deps_for(forge, ci)
    deps.external = ExternalLogs((HOST,), "{target}/consoleText", transport=httpx.MockTransport(refuse))
    session = debugger.on_status(deps, REPO, status(world["head"]))
    assert "could not be read: ConnectError" in session.reason and session.state is State.REPORTED


def test_an_infrastructure_failure_of_external_ci_is_reported_not_rerun(fake, forge, world, ci) -> None:
    ci.text(f"https://{HOST}/job/widget/3/consoleText", TIMEOUT_LOG)
    session = debugger.on_status(deps_for(forge, ci), REPO, status(world["head"]))
    assert session.state is State.REPORTED and "external CI that teabot cannot re-run" in session.reason
    assert not [c for c in fake.calls("POST") if "/actions/" in c.path]


def test_one_failing_commit_and_context_opens_one_session(fake, forge, world, ci) -> None:
    ci.text(f"https://{HOST}/job/widget/3/consoleText", FAILED_LOG)
    deps = deps_for(forge, ci)
    assert debugger.on_status(deps, REPO, status(world["head"])) is not None
    assert debugger.on_status(deps, REPO, status(world["head"], state="error", id=71)) is None
    assert len(bot_comments(fake, world["pull"])) == 1


def test_the_same_failure_on_the_base_branch_is_only_reported(fake, forge, world, ci) -> None:
    post_status(fake, world["base"], "failure", 2)
    for build in (2, 3):
        ci.text(f"https://{HOST}/job/widget/{build}/consoleText", FAILED_LOG)
    session = debugger.on_status(deps_for(forge, ci), REPO, status(world["head"]))
    assert session.state is State.BASE_BROKEN


@pytest.mark.parametrize("change", [{"sender": {"login": "gitea-actions"}}, {"context": "teabot/triage"},
                                    {"state": "pending"}, {"sha": "f" * 40}])
def test_statuses_that_are_not_external_failures_on_a_branch_are_ignored(fake, forge, world, ci, change) -> None:
    assert debugger.on_status(deps_for(forge, ci), REPO, {**status(world["head"]), **change}) is None
    assert ci.seen == [] and bot_comments(fake, world["pull"]) == []


@pytest.mark.parametrize("config", [{"enabled": False}, {"external_ci": ExternalCiSettings(enabled=False)}])
def test_repo_config_can_turn_external_sessions_off(fake, forge, world, ci, config) -> None:
    assert debugger.on_status(deps_for(forge, ci, **config), REPO, status(world["head"])) is None


def test_external_ci_contexts_select_which_statuses_count(fake, forge, world, ci) -> None:
    ci.text(f"https://{HOST}/job/widget/3/consoleText", FAILED_LOG)
    deps = deps_for(forge, ci, external_ci=ExternalCiSettings(contexts=("ci/drone",)))
    assert debugger.on_status(deps, REPO, status(world["head"])) is None
    deps = deps_for(forge, ci, external_ci=ExternalCiSettings(contexts=(CONTEXT,)))
    assert debugger.on_status(deps, REPO, status(world["head"])) is not None


def waiting_session(fake: FakeGitea, world: dict, store: MemorySessionStore) -> tuple[Session, str]:
    """A session whose first fix is pushed to teabot/fix/ci-jenkins-70 and waits for the external CI."""
    fix = fake.push(REPO, {"widget.py": "x = 1\n"}, branch="teabot/fix/ci-jenkins-70", base="feature/x",
                    message="fix: x", author="teabot")
    pr = fake.add_issue(REPO, "fix: x", "", author="teabot", is_pull=True, head="teabot/fix/ci-jenkins-70", base="feature/x")
    now = time.time()
    session = new_session(REPO, CONTEXT, run_id=70, run_number=70, branch="feature/x", base_branch="main",
                          sha=world["head"], now=now, external=True, pr_number=world["pull"])
    session = session.triaged("test", "fp", "test: assert", now=now).decided(Decision(Kind.FIX, "fix it"), now=now)
    session = session.start_attempt(now=now).wait_for_ci(fix, "teabot/fix/ci-jenkins-70", now=now, timeout_s=600)
    session = session.with_ids(fix_pr=pr)
    store.save(session.key, json.dumps(session.to_json()), repo=REPO, branch=session.fix_branch)
    return session, fix


def test_a_green_status_on_the_fix_resumes_the_session(fake, forge, world, ci) -> None:
    store = MemorySessionStore()
    session, fix = waiting_session(fake, world, store)
    done = debugger.on_status(deps_for(forge, ci, store=store), REPO, {**status(fix, "success", build=4), "id": 80})
    assert done.state is State.GREEN and done.attempts[-1].ci_url == f"https://{HOST}/job/widget/4/"
    assert "fixed in 1 attempt" in bot_comments(fake, world["pull"])[-1]
    assert f"[build](https://{HOST}/job/widget/4/)" in bot_comments(fake, world["pull"])[-1]


def test_a_red_status_on_the_fix_is_triaged_and_the_next_round_queued(fake, forge, world, ci) -> None:
    store, scheduled = MemorySessionStore(), []
    session, fix = waiting_session(fake, world, store)
    ci.text(f"https://{HOST}/job/widget/4/consoleText", FAILED_LOG)
    done = debugger.on_status(deps_for(forge, ci, store=store, scheduled=scheduled), REPO, {**status(fix, build=4), "id": 80})
    assert done.state is State.FIXING and done.attempts[-1].result.value == "red"
    assert "Decimal('10.00')" in done.attempts[-1].note and "Decimal('10.00')" in done.excerpt
    assert scheduled == [("attempt", {"key": session.key})]


def test_the_poll_finds_the_external_result_when_the_webhook_is_lost(fake, forge, world, ci) -> None:
    store, scheduled = MemorySessionStore(), []
    session, fix = waiting_session(fake, world, store)
    deps = deps_for(forge, ci, store=store, scheduled=scheduled)
    assert debugger.poll(deps, session.key).state is State.WAITING_CI  # nothing yet: polls again, dispatches nothing
    assert scheduled == [("poll", {"key": session.key, "round_no": 2})] and fake.dispatches(REPO) == []
    post_status(fake, fix, "success", 4)
    assert debugger.poll(deps, session.key, 2).state is State.GREEN


def test_the_sweep_starts_sessions_for_failed_external_statuses_of_open_pulls(fake, forge, world, ci) -> None:
    post_status(fake, world["head"], "failure", 3)
    ci.text(f"https://{HOST}/job/widget/3/consoleText", FAILED_LOG)
    deps = deps_for(forge, ci)
    assert len(debugger.sweep(deps, REPO)) == 1
    assert debugger.sweep(deps, REPO) == []  # the session exists now
    [comment] = bot_comments(fake, world["pull"])
    assert "external check `ci/jenkins`" in comment


def pull_of(forge: GiteaClient, number: int) -> dict:
    return forge.get_pull(REPO, number)


def test_debug_on_a_pull_request_takes_its_failed_external_status(fake, forge, world, ci) -> None:
    post_status(fake, world["head"], "failure", 3)
    ci.text(f"https://{HOST}/job/widget/3/consoleText", FAILED_LOG)
    session = debugger.debug_pull(deps_for(forge, ci), REPO, pull_of(forge, world["pull"]))
    assert isinstance(session, Session) and session.external and session.trigger == "/debug"


@pytest.mark.parametrize("gitea_version", ["1.26"])
def test_debug_says_when_there_is_nothing_to_debug(fake, forge, world, ci) -> None:
    post_status(fake, world["head"], "success", 3)
    found = debugger.debug_pull(deps_for(forge, ci), REPO, pull_of(forge, world["pull"]))
    assert found == "No failed run or failed external status on `feature/x` to debug."


def test_debug_on_gitea_1_25_says_why_it_cannot_look_for_runs(fake, forge, world, ci) -> None:
    fake.add_run(REPO, head_branch="feature/x", conclusion="failure", jobs=[{"name": "test", "log": FAILED_LOG.decode()}])
    found = debugger.debug_pull(deps_for(forge, ci), REPO, pull_of(forge, world["pull"]))
    assert isinstance(found, str) and "lets only the repository owner or a site admin list Actions runs" in found


@pytest.mark.parametrize("gitea_version", ["1.26"])
def test_debug_starts_an_ended_session_over_but_leaves_a_running_one(fake, forge, world, ci) -> None:
    fake.add_run(REPO, head_branch="feature/x", conclusion="failure",
                 jobs=[{"name": "test", "log": FAILED_LOG.decode()}])
    store = MemorySessionStore()
    deps = deps_for(forge, ci, store=store)
    first = debugger.debug_pull(deps, REPO, pull_of(forge, world["pull"]))
    assert first.state is State.REPORTED and not first.external  # no model: triage report only, and ended
    again = debugger.debug_pull(deps, REPO, pull_of(forge, world["pull"]))
    assert isinstance(again, Session) and again.created_at >= first.created_at and again.comment_id != first.comment_id
    running = again.to_json() | {"state": "fixing", "outcome": "", "finished_at": None}
    store.save(again.key, json.dumps(running), repo=REPO)
    refused = debugger.debug_pull(deps, REPO, pull_of(forge, world["pull"]))
    assert isinstance(refused, str) and "still working on this failure" in refused
    assert len(bot_comments(fake, world["pull"])) == 2


@pytest.mark.parametrize("phases, log, reason", [
    (Phases(fix=False), FAILED_LOG, "fixes are off (phases.fix: false"),
    (Phases(rerun_flaky=False), TIMEOUT_LOG, "re-runs are off (phases.rerun_flaky: false"),
])
def test_the_workflow_phases_reach_the_decision(fake, forge, world, ci, phases, log, reason) -> None:
    ci.text(f"https://{HOST}/job/widget/3/consoleText", log)
    deps = deps_for(forge, ci)
    deps.phases = phases
    assert reason in debugger.on_status(deps, REPO, status(world["head"])).reason


def test_a_status_on_a_commit_that_a_fix_branch_shares_belongs_to_the_persons_branch(fake, forge, ci) -> None:
    sha = fake.push(REPO, {"widget.py": "x = 3\n"}, branch="zz-hotfix", message="no pull request", author="alice")
    with fake.state.lock:  # a fix branch made at the failing commit, before its first fix is pushed
        fake.state.repos[REPO].branches["teabot/fix/ci-jenkins-70"] = sha
    assert [b["name"] for b in forge.list_branches(REPO)][-2:] == ["teabot/fix/ci-jenkins-70", "zz-hotfix"]
    ci.text(f"https://{HOST}/job/widget/3/consoleText", FAILED_LOG)
    session = debugger.on_status(deps_for(forge, ci), REPO, status(sha))
    assert session is not None and session.branch == "zz-hotfix" and session.pr_number is None
