"""Gitea Actions runs and jobs of the fake Gitea test harness: create, start, finish, re-run.

The fake itself does not execute workflows. Tests (or a `ci_runner` plugged into FakeGitea, which
receives every push/dispatch/re-run `Trigger`, such as `harness.fake_ci.CiRunner`) move runs
along with these functions; each returns the webhook events (`(event_type, payload)`) the
transition causes, like Gitea's notifier would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from harness.fake_gitea.payloads import Event, status_event, workflow_job_event, workflow_run_event
from harness.fake_gitea.serialize_code import Shapes, workflow_name
from harness.fake_gitea.state import Job, Repo, Run, State, Status, User, now

CONCLUSIONS = ("success", "failure", "cancelled", "skipped")
FAILED = ("failure", "cancelled")
# The pseudo-user Gitea Actions writes commit statuses as (models/user/user_system.go::NewActionsUser
# @v1.25.4: ActionsUserID = -2, no CreatedUnix, so `created` renders as Unix 0).
ACTIONS_USER = User(-2, "gitea-actions", "Gitea Actions", created=datetime(1970, 1, 1, tzinfo=UTC))
# A run's `event` is the webhook event that started it (services/actions/notifier_helper.go
# `handleWorkflows` @v1.25.4: `Event: input.Event`), so a synchronised pull request's run says
# pull_request_sync; the workflow's trigger (`TriggerEvent`, github.event_name) is still pull_request.
PULL_EVENTS = ("pull_request", "pull_request_sync", "pull_request_assign", "pull_request_label",
               "pull_request_review_request", "pull_request_milestone")


def trigger_event(event: str) -> str:
    """The workflow trigger a run's event stands for: pull_request for the whole pull request family."""
    return "pull_request" if event in PULL_EVENTS else event


def log_lines(log: bytes, start: datetime) -> bytes:
    """`log` with Gitea's per-line timestamp prefix (RFC 3339 UTC, 7 fraction digits)."""
    out = []
    for index, line in enumerate(log.decode("utf-8", "replace").splitlines()):
        when = start + timedelta(milliseconds=37 * index)
        out.append(f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond:06d}0Z {line}\n")
    return "".join(out).encode()


def new_run(state: State, repo: Repo, *, workflow: str, head_sha: str, head_branch: str, event: str,
            actor: User, title: str = "", jobs: Sequence[Mapping] = ({"name": "test"},), ref: str = "") -> Run:
    """A queued run with queued jobs (`jobs`: [{name, labels?}]) recorded in `repo`.

    `ref` is the run's git ref when it is not the branch: services/actions/notifier_helper.go
    (v1.25.4) gives pull_request runs the ref refs/pull/<n>/head.
    """
    run_id = state.next_id("run")
    number = len(repo.runs) + 1
    commit = repo.commits.get(head_sha)
    run = Run(run_id, number, workflow, title or (commit.message.splitlines()[0] if commit else workflow),
              event, head_sha, head_branch, actor, ref=ref)
    for spec in jobs:
        job = Job(state.next_id("job"), run_id, spec["name"])
        job.labels = list(spec.get("labels") or job.labels)
        run.jobs.append(job)
    repo.runs[run_id] = run
    return run


def start_run(state: State, repo: Repo, run: Run) -> list[Event]:
    """Mark a run and its queued jobs in progress."""
    sh = Shapes(state, run.actor)
    when = now()
    run.status, run.started = "in_progress", run.started or when
    events = [workflow_run_event(sh, "in_progress", run, repo, run.actor)]
    for index, job in enumerate(run.jobs):
        if job.status == "queued":
            job.status, job.started, job.task_id = "in_progress", when, state.next_id("task")
            events.append(workflow_job_event(sh, "in_progress", run, index, repo, run.actor))
    return events


def finish_job(state: State, repo: Repo, run: Run, index: int, conclusion: str,
               log: bytes | None = None) -> list[Event]:
    """Complete one job of a run with `conclusion` (and its log, when given)."""
    job = run.jobs[index]
    if conclusion not in CONCLUSIONS:
        raise ValueError(f"conclusion {conclusion!r} of job {job.name} is not one of {CONCLUSIONS}")
    when = now()
    job.task_id = job.task_id or state.next_id("task")
    job.conclusion, job.status, job.started, job.completed = conclusion, "completed", job.started or when, when
    job.log = log if log is not None else (job.log or f"job {job.name}: {conclusion}\n".encode())
    return [workflow_job_event(Shapes(state, run.actor), "completed", run, index, repo, run.actor)]


def finish_run(state: State, repo: Repo, run: Run, jobs: Mapping[str, str], logs: Mapping[str, bytes]) -> list[Event]:
    """Complete every unfinished job (conclusion from `jobs`, default success) and then the run."""
    events: list[Event] = []
    for index, job in enumerate(run.jobs):
        if job.status != "completed":
            events += finish_job(state, repo, run, index, jobs.get(job.name, "success"), logs.get(job.name))
    conclusions = [j.conclusion for j in run.jobs]
    run.conclusion = next((c for c in FAILED if c in conclusions), "success")
    run.status, run.started, run.completed = "completed", run.started or now(), now()
    events.append(workflow_run_event(Shapes(state, run.actor), "completed", run, repo, run.actor))
    return events


def requested(state: State, repo: Repo, run: Run) -> list[Event]:
    """The events of a newly queued run: workflow_run requested, then workflow_job queued per job."""
    sh = Shapes(state, run.actor)
    return [workflow_run_event(sh, "requested", run, repo, run.actor),
            *(workflow_job_event(sh, "queued", run, i, repo, run.actor) for i, j in enumerate(run.jobs)
              if j.status == "queued")]


def job_status(state: State, repo: Repo, run: Run, index: int, description: str) -> Event:
    """The commit status Gitea Actions sets for a job (context "<workflow> / <job> (<event>)")."""
    job = run.jobs[index]
    value = {"success": "success", "failure": "failure", "cancelled": "failure", "skipped": "skipped"}.get(
        job.conclusion, "pending")  # services/actions/commit_status.go
    # services/actions/commit_status.go `createCommitStatus`: "(pull_request)" for every pull request event.
    context = f"{workflow_name(repo, run.workflow)} / {job.name} ({trigger_event(run.event)})"
    # `run.Link()` + "/jobs/N": a path under ROOT_URL's sub-path, stored and shown by the API as is
    # (models/actions/run.go::Link, models/repo/repo.go::Link @v1.25.4); the webhook makes it absolute.
    target = f"{urlsplit(state.web_url).path.rstrip('/')}/{repo.full_name}/actions/runs/{run.number}/jobs/{index}"
    status = Status(state.next_id("status"), run.head_sha, value, context, description, target, ACTIONS_USER)
    repo.statuses.append(status)
    return status_event(Shapes(state, run.actor), status, repo, ACTIONS_USER)


def rerun(state: State, repo: Repo, run: Run, actor: User, *, failed_only: bool) -> list[Event]:
    """Queue the SAME run again: all jobs, or only the failed and cancelled ones.

    routers/web/repo/actions/view.go `Rerun` / `rerunJob` (v1.25.4, reused by the 1.26 API): the run
    keeps its id and is waiting again; a job's `Attempt` grows when a runner takes it
    (models/actions/task.go `CreateTaskForRunner`); the run's own attempt is only shown from 1.27.
    """
    if run.status != "completed":
        raise ValueError("run is not done yet")
    run.attempt += 1
    run.status, run.conclusion, run.completed = "queued", "", None
    for job in run.jobs:
        if not failed_only or job.conclusion in FAILED:
            job.status, job.conclusion, job.log, job.steps = "queued", "", b"", []
            job.attempt, job.started, job.completed, job.task_id = job.attempt + 1, None, None, 0
    return [workflow_run_event(Shapes(state, actor), "requested", run, repo, actor)]
