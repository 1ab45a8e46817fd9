"""teabot as an Actions step: the job's environment, and each step command against the fake Gitea."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from bot.cli import main
from bot.cli.step import InlineQueue
from bot.config.settings import Settings
from harness import cast
from harness.cast import BOT, BOT_TOKEN, REPO, Person
from harness.fake_gitea import FakeGitea
from bot.events import BOT_MARKER, Event
from bot.forge import make_forge
from bot.forge.client import GiteaClient
from bot.routing import Router
from bot.worker import runtime as runtime_module
from bot.cli.step_env import (
    ActionsEnv, JobReport, StepError, comment_event, event_number, failed_run, parse_event, pull_branch,
    run_to_triage, split_jobs, status_description, step_settings, triage_comment, handover_url,
)
from bot.triage import triage
from bot.receiver.app import create_app
from bot.security.handover import credential_for
from tests.conftest import comment_case, load_case

JOB_TOKEN = "job-token"
SECRET = "step-webhook-secret"
HANDOVER_KEY = "step-handover-key"
HANDOVER_TOKEN = credential_for(HANDOVER_KEY.encode(), REPO, 1)
FAILED_LOG = """Run python -m pytest -q
============================= test session starts ==============================
collected 12 items

tests/test_ratelimit.py ..F.                                             [ 33%]
tests/test_app.py ........                                               [100%]

=================================== FAILURES ===================================
_____________________________ test_bucket_refills ______________________________

    def test_bucket_refills():
        bucket = TokenBucket(rate=2, capacity=2)
>       assert bucket.take(3) is False
E       AssertionError: assert True is False

tests/test_ratelimit.py:18: AssertionError
=========================== short test summary info ============================
FAILED tests/test_ratelimit.py::test_bucket_refills - AssertionError: assert True is False
========================= 1 failed, 11 passed in 0.31s =========================
"""


# --- fixtures and helpers (tests/test_action.py uses them too) ---------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    """acme/widget over HTTP: the bot user is admin, alice may write, bob may read; the job token is gitea-actions'."""
    fake = cast.seed(FakeGitea("1.25.4"), cast=(*cast.STANDARD, Person("gitea-actions", "write", JOB_TOKEN)))
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The step commands install a job runtime and configure logging for the process; put both back afterwards."""
    monkeypatch.setattr(runtime_module, "_installed", None)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def actions_env(fake: FakeGitea, event_file: Path, event: str, *, run_id: int = 0, job: str = "triage",
                token: str = JOB_TOKEN, sha: str = "", branch: str = "feature", **extra: str) -> dict[str, str]:
    """The variables Gitea gives a job (plus TEABOT_* settings in `extra`)."""
    env = {"GITHUB_SERVER_URL": fake.url, "GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": str(run_id),
           "GITHUB_RUN_NUMBER": "1", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(event_file),
           "GITHUB_SHA": sha, "GITHUB_REF_NAME": branch, "GITHUB_JOB": job, "GITHUB_ACTIONS": "true",
           "GITEA_ACTIONS": "true", "GITEA_TOKEN": token, "TEABOT_DATA_DIR": str(event_file.parent / "data")}
    return {**env, **extra}


def write_event(path: Path, payload: dict) -> Path:
    path.write_text(json.dumps(payload))
    return path


def push_event(fake: FakeGitea, tmp_path: Path, branch: str = "feature") -> tuple[Path, str]:
    """The recorded push delivery, moved onto a new `branch` of the fake repository."""
    bot_client(fake).create_branch(REPO, branch, "main")
    sha = fake.commit(REPO, {"widget/ratelimit.py": "class TokenBucket: ...\n"}, branch=branch, message="Add limiter")
    body = load_case("push/push")["body"]
    body["ref"], body["after"] = f"refs/heads/{branch}", sha
    return write_event(tmp_path / "push.json", body), sha


def failing_run(fake: FakeGitea, sha: str, branch: str = "feature") -> int:
    """A run whose `test` job failed, `lint` passed, and `triage` (the job running the step) is still running."""
    run_id = fake.add_run(REPO, head_sha=sha, head_branch=branch, status="in_progress",
                          jobs=[{"name": "test"}, {"name": "lint"}, {"name": "triage"}])
    finish_job(fake, run_id, "test", "failure", FAILED_LOG)
    finish_job(fake, run_id, "lint", "success", "ruff check .\nAll checks passed!\n")
    return run_id


def finish_job(fake: FakeGitea, run_id: int, name: str, conclusion: str, log: str) -> None:
    """Finish one job of a running run (the fake finishes whole runs only)."""
    with fake.state.lock:
        job = next(j for j in fake.state.repos[REPO].runs[run_id].jobs if j.name == name)
        job.status, job.conclusion, job.log = "completed", conclusion, log.encode()
        job.completed = datetime.now(timezone.utc)


def bot_client(fake: FakeGitea) -> GiteaClient:
    return make_forge(Settings(gitea_url=fake.url, gitea_token=BOT_TOKEN, gitea_retries=0))


def writes(fake: FakeGitea, since: int = 0) -> list:
    """The writes the fake received after its first `since` requests."""
    return [c for c in fake.requests[since:] if c.method in ("POST", "PATCH", "PUT", "DELETE")]


def bot_comments(fake: FakeGitea, number: int, author: str) -> list[str]:
    return [c["body"] for c in fake.list_comments(REPO, number) if c["user"]["login"] == author]


def invoke(args: list[str], env: dict[str, str]):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


# --- the job's environment (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(("names", "token", "source"), [
    ({"TEABOT_GITEA_TOKEN": "bot", "GITEA_TOKEN": "job", "GITHUB_TOKEN": "gh"}, "bot", "TEABOT_GITEA_TOKEN"),
    ({"TEABOT_GITEA_TOKEN": " ", "GITEA_TOKEN": "job", "GITHUB_TOKEN": "gh"}, "job", "GITEA_TOKEN"),
    ({"GITHUB_TOKEN": "gh"}, "gh", "GITHUB_TOKEN"),
    ({}, None, ""),
])
def test_token_prefers_a_bot_token_then_the_jobs_token(names: dict, token: str | None, source: str) -> None:
    actions = ActionsEnv.from_env(names)
    assert (actions.token, actions.token_source) == (token, source)


def test_actions_env_reads_github_and_gitea_spellings() -> None:
    actions = ActionsEnv.from_env({"GITEA_SERVER_URL": "https://git.example.org/", "GITHUB_REPOSITORY": "o/r",
                                   "GITHUB_RUN_ID": "88", "GITHUB_RUN_NUMBER": "x", "GITHUB_JOB": "test",
                                   "GITHUB_HEAD_REF": "feature", "GITHUB_REF_NAME": "3/merge"})
    assert (actions.server_url, actions.repository, actions.run_id, actions.run_number) == ("https://git.example.org", "o/r", 88, None)
    assert pull_branch(actions, {"head_branch": "other"}) == "feature"
    assert pull_branch(ActionsEnv(ref_name="main"), {}) == "main"
    with pytest.raises(StepError, match="GITHUB_EVENT_PATH, GITHUB_SHA not set"):
        actions.require("repository", "event_path", "sha")


def test_settings_take_the_actions_url_and_token_unless_teabot_ones_are_set() -> None:
    env = {"GITHUB_SERVER_URL": "http://gitea:3000", "GITEA_TOKEN": "job"}
    _, settings = step_settings(env)
    assert (settings.gitea_url, settings.gitea_token, settings.log_format) == ("http://gitea:3000", "job", "text")
    _, settings = step_settings({**env, "TEABOT_GITEA_URL": "http://internal:3000", "TEABOT_LOG_FORMAT": "json",
                                 "TEABOT_GITEA_TOKEN": "bot", "TEABOT_SERVER_URL": "http://teabot:8080"})
    assert (settings.gitea_url, settings.gitea_token, settings.log_format) == ("http://internal:3000", "bot", "json")
    assert settings.server_url == "http://teabot:8080"
    assert step_settings({})[1].gitea_url == Settings().gitea_url


def test_event_files_and_what_they_point_at() -> None:
    with pytest.raises(StepError, match="not JSON"):
        parse_event("{", "event.json")
    with pytest.raises(StepError, match="not a JSON object"):
        parse_event("[]", "event.json")
    comment = load_case("issue_comment/created_pull")["body"]
    assert event_number(comment) == comment["issue"]["number"] and event_number({"pull_request": {"number": 4}}) == 4
    assert event_number(load_case("push/push")["body"]) is None
    assert comment_event(ActionsEnv(event_name="issue_comment", run_id=5), comment).type == "pull_request_comment"
    event = comment_event(ActionsEnv(event_name="issue_comment"), load_case("issue_comment/created")["body"])
    assert (event.name, event.type, event.delivery_id) == ("issue_comment", "issue_comment", "actions-run-0")
    with pytest.raises(StepError, match="on: issue_comment"):
        comment_event(ActionsEnv(event_name="push"), comment)


def test_the_run_to_triage_is_the_events_run_or_the_jobs_own() -> None:
    run_event = load_case("workflow_run/completed_failure")["body"]
    assert run_to_triage(ActionsEnv(event_name="workflow_run", run_id=3), run_event) == run_event["workflow_run"]["id"]
    assert run_to_triage(ActionsEnv(event_name="push", run_id=3), {}) == 3
    with pytest.raises(StepError, match="GITHUB_RUN_ID"):
        run_to_triage(ActionsEnv(event_name="push"), {})
    with pytest.raises(StepError, match="workflow_run.id"):
        run_to_triage(ActionsEnv(event_name="workflow_run"), {"workflow_run": {}})


def test_only_finished_failed_jobs_are_triaged_and_unfinished_ones_are_named() -> None:
    jobs_ = [{"name": "test", "status": "completed", "conclusion": "failure"},
             {"name": "lint", "status": "completed", "conclusion": "success"},
             {"name": "docs", "status": "completed", "conclusion": "cancelled"},
             {"name": "triage", "status": "in_progress", "conclusion": ""},
             {"name": "deploy", "status": "waiting", "conclusion": ""}]
    failed, unfinished = split_jobs(jobs_, "triage")
    assert [j["name"] for j in failed] == ["test"]
    assert unfinished == ["`triage` (this job)", "`deploy`"]
    assert split_jobs(jobs_, "")[1] == ["`triage`", "`deploy`"]


def test_the_comment_carries_summary_category_fingerprint_and_excerpt() -> None:
    result = triage(FAILED_LOG.encode())
    run = {"run_number": 15, "display_title": "Add limiter", "html_url": "http://g/acme/widget/actions/runs/15"}
    body = triage_comment(run, [JobReport("test", "http://g/job/0", result), JobReport("e2e", "", error="404 gone")],
                          ["`triage` (this job)"])
    assert body.startswith(f"{BOT_MARKER}:triage -->") and "[run #15 (Add limiter)](http://g/acme/widget/actions/runs/15)" in body
    assert result.summary in body and f"`{result.category.value}`" in body and f"`{result.fingerprint}`" in body
    assert "E       AssertionError: assert True is False" in body and "```text" in body
    assert "**e2e**: the log could not be read (404 gone)" in body
    assert "`triage` (this job)" in body and "needs:" in body
    empty = triage_comment({}, [], [])
    assert "No finished job of this run failed" in empty and "not finished" not in empty


def test_status_description_is_short() -> None:
    long_log = ("E   AssertionError: " + "x" * 300 + "\n").encode()
    description = status_description([JobReport("e2e", ""), JobReport("test", "", triage(long_log))])
    assert description.startswith("test: ") and len(description) == 140 and description.endswith("…")
    assert status_description([]) == "no finished failed job to triage"


def test_only_a_completed_failed_run_is_handed_over() -> None:
    event = load_case("workflow_run/completed_failure")["body"]
    assert failed_run("workflow_run", event) == (event["workflow_run"]["id"], "")
    event["workflow_run"]["conclusion"] = "success"
    run_id, reason = failed_run("workflow_run", event)
    assert run_id is None and "not a failure" in reason
    with pytest.raises(StepError, match="on: workflow_run"):
        failed_run("push", event)
    with pytest.raises(StepError, match="workflow_run.id"):
        failed_run("workflow_run", {"action": "completed"})


@pytest.mark.parametrize(("given", "expected"), [
    ("http://teabot:8080", "http://teabot:8080/handover"), ("http://teabot:8080/", "http://teabot:8080/handover"),
    ("https://x.org/bot/webhook", "https://x.org/bot/handover"), ("https://x.org/bot/handover/", "https://x.org/bot/handover"),
])
def test_handover_url(given: str, expected: str) -> None:
    assert handover_url(given) == expected


def test_inline_queue_runs_now_or_only_records_in_a_dry_run() -> None:
    from bot.worker.queues import JobRequest

    ran = RAN
    ran.clear()
    request = JobRequest(f"{__name__}.remember", "k", {"n": 1})
    assert InlineQueue(dry_run=True).submit_in(30, request) and ran == []
    queue = InlineQueue()
    assert queue.submit(request) and queue.submit_in(0, request) and ran == [1, 1] and len(queue.requests) == 2
    assert queue.ping() and "step" in queue.describe()


# --- teabot step triage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["step", "triage"], ["triage", "--this-run"]])
def test_triage_comments_on_the_branchs_pull_request_and_skips_its_own_unfinished_job(
        fake: FakeGitea, tmp_path: Path, command: list[str]) -> None:
    event_file, sha = push_event(fake, tmp_path)
    pull = fake.add_issue(REPO, "Add limiter", author="alice", is_pull=True, head="feature")
    run_id = failing_run(fake, sha)
    result = invoke(command, actions_env(fake, event_file, "push", run_id=run_id, sha=sha))
    assert result.exit_code == 0, result.output
    [body] = bot_comments(fake, pull, "gitea-actions")
    expected = triage(FAILED_LOG.encode())
    assert expected.summary in body and expected.fingerprint in body and f"`{expected.category.value}`" in body
    assert "E       AssertionError: assert True is False" in body and "lint" not in body
    assert "`triage` (this job)" in body and "not finished yet" in body
    logs = [c.path for c in fake.calls("GET", r"/repos/acme/widget/actions/jobs/\d+/logs")]
    assert len(logs) == 1  # only the finished failed job's log was read
    assert f"commented on {REPO}#{pull}" in result.output and not fake.calls("POST", r"/repos/acme/widget/statuses/.*")


def test_triage_without_a_pull_request_sets_a_commit_status(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, sha = push_event(fake, tmp_path)
    run_id = failing_run(fake, sha)
    result = invoke(["step", "triage"], actions_env(fake, event_file, "push", run_id=run_id, sha=sha))
    assert result.exit_code == 0, result.output
    [status] = fake.calls("POST", f"/repos/{REPO}/statuses/{sha}")
    assert status.json["state"] == "failure" and status.json["context"] == "teabot/triage"
    assert status.json["description"].startswith("test: test: E AssertionError")
    assert status.json["target_url"].endswith("/acme/widget/actions/runs/1")
    assert not fake.calls("POST", r"/repos/acme/widget/issues/\d+/comments")
    assert "E       AssertionError" in result.output  # the full triage is in the job's log


def test_triage_of_a_workflow_run_event_reads_that_run_and_comments_on_the_events_pull_request(fake: FakeGitea, tmp_path: Path) -> None:
    bot_client(fake).create_branch(REPO, "feature", "main")
    sha = fake.commit(REPO, {"a.py": "x = 1\n"}, branch="feature")
    pull = fake.add_issue(REPO, "Feature", author="alice", is_pull=True, head="feature")
    failed = fake.add_run(REPO, head_sha=sha, head_branch="feature", conclusion="failure",
                          jobs=[{"name": "test", "conclusion": "failure", "log": FAILED_LOG}])
    body = load_case("workflow_run/completed_failure")["body"]
    body["workflow_run"].update(id=failed, head_branch="feature", head_sha=sha)
    event_file = write_event(tmp_path / "run.json", body)
    own = fake.add_run(REPO, head_sha=sha, head_branch="feature", event="workflow_run", status="in_progress")
    result = invoke(["step", "triage"], actions_env(fake, event_file, "workflow_run", run_id=own, sha=sha, branch="main"))
    assert result.exit_code == 0, result.output
    [comment] = bot_comments(fake, pull, "gitea-actions")
    assert "E       AssertionError" in comment and "not finished" not in comment


def test_triage_reports_a_log_it_could_not_read(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, sha = push_event(fake, tmp_path)
    pull = fake.add_issue(REPO, "Add limiter", author="alice", is_pull=True, head="feature")
    env = actions_env(fake, event_file, "push", run_id=failing_run(fake, sha), sha=sha)
    fake.fail_next("GET", r"/repos/acme/widget/actions/jobs/\d+/logs", status=404)
    result = invoke(["step", "triage"], env)
    assert result.exit_code == 0, result.output
    [body] = bot_comments(fake, pull, "gitea-actions")
    assert "the log could not be read" in body and "AssertionError" not in body


def test_triage_dry_run_reads_but_writes_nothing(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, sha = push_event(fake, tmp_path)
    pull = fake.add_issue(REPO, "Add limiter", author="alice", is_pull=True, head="feature")
    env, mark = actions_env(fake, event_file, "push", run_id=failing_run(fake, sha), sha=sha), len(fake.requests)
    result = invoke(["step", "triage", "--dry-run"], env)
    assert result.exit_code == 0, result.output
    assert not writes(fake, mark) and f"would comment on {REPO}#{pull}" in result.output
    assert "E       AssertionError" in result.output and fake.calls("GET", r"/repos/acme/widget/actions/jobs/\d+/logs")
    event_file, other = push_event(fake, tmp_path, branch="nopr")
    env = actions_env(fake, event_file, "push", run_id=failing_run(fake, other, "nopr"), sha=other, branch="nopr")
    mark = len(fake.requests)
    result = invoke(["step", "triage", "--dry-run"], env)
    assert "would set commit status teabot/triage" in result.output and not writes(fake, mark)


def test_triage_says_what_is_missing(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, sha = push_event(fake, tmp_path)
    env, mark = actions_env(fake, event_file, "push", run_id=failing_run(fake, sha), sha=sha), len(fake.requests)
    no_token = invoke(["step", "triage"], {**env, "GITEA_TOKEN": ""})
    assert no_token.exit_code == 1 and "TEABOT_GITEA_TOKEN" in no_token.output
    no_event = invoke(["step", "triage"], {**env, "GITHUB_EVENT_PATH": str(tmp_path / "absent.json")})
    assert no_event.exit_code == 1 and "cannot read the event file" in no_event.output
    no_run = invoke(["step", "triage"], {**env, "GITHUB_RUN_ID": "999"})
    assert no_run.exit_code == 1 and "999" in no_run.output
    assert not writes(fake, mark)


# --- teabot plan --from-event --------------------------------------------------------------------------------


def comment_event_file(fake: FakeGitea, tmp_path: Path, text: str, login: str = "alice") -> tuple[Path, int]:
    """An epic on the fake, `login`'s comment on it, and the job's event file for that comment."""
    number = fake.add_issue(REPO, "Epic: Self-service accounts",
                            "## Features\n- [ ] Sign up with email\n- [ ] Reset a password\n", author="alice")
    comment_id = fake.add_comment(REPO, number, text, author=login)
    case = comment_case(text, login=login, comment_id=comment_id)
    case["body"]["issue"]["number"] = number
    return write_event(tmp_path / "comment.json", case["body"]), number


def test_plan_from_event_posts_the_plan_like_the_server(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, number = comment_event_file(fake, tmp_path, "/plan")
    env = actions_env(fake, event_file, "issue_comment", run_id=4, TEABOT_GITEA_TOKEN=BOT_TOKEN)
    result = invoke(["plan", "--from-event"], env)
    assert result.exit_code == 0, result.output
    [plan] = bot_comments(fake, number, BOT)
    assert "## PI plan v1" in plan and "Sign up with email" in plan
    # the job re-reads the comment by its id, so the author and text are Gitea's, not the event file's
    assert f"ran plan_command(repo='{REPO}', number={number}, login='alice', command='plan', args='', comment_id=" \
        in result.output


def test_plan_from_event_checks_the_commenters_permission(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, number = comment_event_file(fake, tmp_path, "/plan approve", login="bob")
    result = invoke(["plan", "--from-event"], actions_env(fake, event_file, "issue_comment", TEABOT_GITEA_TOKEN=BOT_TOKEN))
    assert result.exit_code == 0, result.output
    [refusal] = bot_comments(fake, number, BOT)
    assert "@bob" in refusal and "needs more access" in refusal
    assert not fake.calls("POST", f"/repos/{REPO}/issues")


def test_plan_from_event_with_the_jobs_token_says_to_use_a_bot_token_with_admin_access(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, number = comment_event_file(fake, tmp_path, "/summarize")
    result = invoke(["plan", "--from-event"], actions_env(fake, event_file, "issue_comment"))
    assert result.exit_code == 1 and "Admin access" in result.output
    [error] = bot_comments(fake, number, "gitea-actions")
    assert "could not finish the planning command" in error and "Admin access" in error


def test_plan_from_event_dry_run_writes_nothing(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, number = comment_event_file(fake, tmp_path, "/plan focus on security")
    before = len(fake.requests)
    result = invoke(["plan", "--from-event", "--dry-run"], actions_env(fake, event_file, "issue_comment"))
    assert result.exit_code == 0, result.output
    assert len(fake.requests) == before
    assert f"would run plan_command(repo='{REPO}', number={number}, login='alice', command='plan', args='focus on security', " \
           "comment_id=" in result.output  # the job re-reads the comment by its id


@pytest.mark.parametrize(("text", "login", "said"), [
    ("thanks, looks good", "alice", "nothing to do: issue_comment/created: nothing to do"),
    (f"{BOT_MARKER}:plan-comment -->\n/plan", BOT, "ignored: caused by the bot itself"),
    ("/debug", "alice", "nothing to do"),
])
def test_plan_from_event_leaves_other_comments_alone(fake: FakeGitea, tmp_path: Path, text: str, login: str, said: str) -> None:
    event_file, _ = comment_event_file(fake, tmp_path, text, login=login)
    mark = len(fake.requests)
    result = invoke(["plan", "--from-event"], actions_env(fake, event_file, "issue_comment", TEABOT_GITEA_TOKEN=BOT_TOKEN))
    assert result.exit_code == 0 and said in result.output and not writes(fake, mark)


def test_plan_from_event_needs_a_comment_event(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, _ = push_event(fake, tmp_path)
    result = invoke(["plan", "--from-event"], actions_env(fake, event_file, "push"))
    assert result.exit_code == 1 and "on: issue_comment" in result.output
    assert invoke(["plan", "check", "--from-event"], {}).exit_code == 2
    assert "Commands:" in invoke(["plan"], {}).output


# --- teabot debug --from-event --------------------------------------------------------------------------------


RAN: list[int] = []


def remember(n: int) -> None:
    """A job for the inline queue's test: notes that it ran."""
    RAN.append(n)


def debug_run(**kwargs: object) -> None:
    """The job the test receiver queues for a failed run (the receiver's queue only records it)."""


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, InlineQueue]]:
    """A real teabot receiver over HTTP whose workflow_run route queues `debug_run` into a recording queue."""
    router = Router()

    @router.register("workflow_run", action="completed")
    def on_run(event: Event, ctx) -> None:
        ctx.enqueue(f"{__name__}.debug_run", key=event.content_key, repo=event.repo, run_id=event.get("workflow_run", "id"))

    queue = InlineQueue(dry_run=True)
    settings = Settings(webhook_secret=SECRET, handover_key=HANDOVER_KEY, data_dir=tmp_path / "server")
    app = create_app(settings, queue=queue, router=router)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", queue
    server.shutdown()
    thread.join(timeout=10)


def run_event_file(tmp_path: Path, conclusion: str = "failure") -> tuple[Path, int]:
    body = load_case("workflow_run/completed_failure")["body"]
    body["workflow_run"]["conclusion"] = conclusion
    return write_event(tmp_path / "workflow_run.json", body), body["workflow_run"]["id"]


def test_debug_from_event_hands_the_failed_run_to_the_server(fake: FakeGitea, tmp_path: Path, receiver) -> None:
    url, queue = receiver
    event_file, run_id = run_event_file(tmp_path)
    env = actions_env(fake, event_file, "workflow_run", TEABOT_SERVER_URL=url, TEABOT_HANDOVER_TOKEN=HANDOVER_TOKEN)
    result = invoke(["debug", "--from-event"], env)
    assert result.exit_code == 0, result.output
    [request] = queue.requests
    assert request.job == f"{__name__}.debug_run" and request.kwargs == {"repo": REPO, "run_id": run_id}
    assert f"handed failed run {run_id} to {url}/handover: 202 queued" in result.output and not writes(fake)


@pytest.mark.parametrize(("token", "said"), [
    (credential_for(b"another-server", REPO, 1), "was not issued by this server"),
    (SECRET, "the webhook secret is not accepted"),  # the server's webhook secret opens nothing here
    (credential_for(HANDOVER_KEY.encode(), "acme/other", 1), "not acme/widget"),
])
def test_debug_from_event_reports_a_refused_hand_over(fake: FakeGitea, tmp_path: Path, receiver, token: str,
                                                      said: str) -> None:
    url, queue = receiver
    event_file, _ = run_event_file(tmp_path)
    result = invoke(["debug", "--from-event"], actions_env(fake, event_file, "workflow_run", TEABOT_SERVER_URL=url,
                                                          TEABOT_HANDOVER_TOKEN=token))
    assert result.exit_code == 1 and said in result.output and "TEABOT_HANDOVER_TOKEN" in result.output
    assert not queue.requests


def test_debug_from_event_dry_run_and_successful_runs_send_nothing(fake: FakeGitea, tmp_path: Path, receiver) -> None:
    url, queue = receiver
    event_file, run_id = run_event_file(tmp_path)
    env = actions_env(fake, event_file, "workflow_run", TEABOT_SERVER_URL=url, TEABOT_HANDOVER_TOKEN=HANDOVER_TOKEN)
    dry = invoke(["debug", "--from-event", "--dry-run"], env)
    assert dry.exit_code == 0 and f"would POST the workflow_run event of failed run {run_id} to {url}/handover" in dry.output
    event_file, _ = run_event_file(tmp_path, conclusion="success")
    green = invoke(["debug", "--from-event"], env)
    assert green.exit_code == 0 and "nothing to do" in green.output and not queue.requests


def test_debug_says_what_is_missing(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, _ = run_event_file(tmp_path)
    env = actions_env(fake, event_file, "workflow_run")
    assert "--from-event" in invoke(["debug"], env).output
    no_server = invoke(["debug", "--from-event"], env)
    assert no_server.exit_code == 1 and "TEABOT_SERVER_URL is not set" in no_server.output
    no_token = invoke(["debug", "--from-event"], {**env, "TEABOT_SERVER_URL": "http://127.0.0.1:9",
                                                  "TEABOT_WEBHOOK_SECRET": SECRET})  # the old setting is not enough
    assert no_token.exit_code == 1 and "TEABOT_HANDOVER_TOKEN is not set" in no_token.output
    closed = invoke(["debug", "--from-event"], {**env, "TEABOT_SERVER_URL": "http://127.0.0.1:9",
                                                "TEABOT_HANDOVER_TOKEN": HANDOVER_TOKEN})
    assert closed.exit_code == 1 and "could not reach the teabot server" in closed.output
