"""Fake Gitea routes: Actions runs, jobs, tasks, logs, workflows, dispatch, re-run; commit statuses.

Registration and permissions as in routers/api/v1/api.go @v1.25.4 (handlers in
routers/api/v1/repo/action.go and routers/api/v1/shared/action.go); which routes exist and who may
list runs depend on the release (`profiles.py`).
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Response

from harness.fake_gitea import ci
from harness.fake_gitea.app import ApiError, Ctx, Route, Trigger
from harness.fake_gitea.payloads import status_event
from harness.fake_gitea.state import Repo, Run, Status
from harness.fake_gitea.workflow_spec import WorkflowFileError, parse_workflow, workflow_files

R = "/repos/<owner>/<name>"
STATES = ("pending", "success", "error", "failure", "warning", "skipped")


def find_run(repo: Repo, run_id: int) -> Run:
    """A run of the repository, or 404."""
    if run_id not in repo.runs:
        raise ApiError(404, f"run with id {run_id}: not found")
    return repo.runs[run_id]


def _window(ctx: Ctx, items: list) -> list:
    page, limit = ctx.window()
    return items[(page - 1) * limit: page * limit]


def list_runs(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/actions/runs (routers/api/v1/shared/action.go::ListRuns @v1.25.4).

    1.25 registers it through `addActionsRoutes(m, reqOwner(), …)`: owner or site admin only.
    `branch` matches `refs/heads/<branch>` only (FindRunOptions.Ref), so pull_request runs never match.
    """
    repo = ctx.owner(owner, name) if ctx.profile.runs_list_owner_only else ctx.repo(owner, name)
    args = ctx.request.args
    branch = args.get("branch")
    runs = [r for r in sorted(repo.runs.values(), key=lambda r: -r.id)
            if args.get("event", r.event) == r.event and (branch is None or r.full_ref == f"refs/heads/{branch}")
            and args.get("status") in (None, r.status, r.conclusion)
            and args.get("actor", r.actor.login) == r.actor.login and args.get("head_sha", r.head_sha) == r.head_sha]
    return ctx.json({"total_count": len(runs), "workflow_runs": [ctx.shapes.run(r, repo) for r in _window(ctx, runs)]})


def list_tasks(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/actions/tasks (routers/api/v1/repo/action.go::ListActionTasks @v1.25.4): Actions readers, newest first."""
    repo = ctx.repo(owner, name)
    tasks = [(j, r) for r in sorted(repo.runs.values(), key=lambda r: -r.id) for j in reversed(r.jobs) if j.started]
    shown = [ctx.shapes.task(j, r, repo) for j, r in _window(ctx, tasks)]
    return ctx.json({"total_count": len(tasks), "workflow_runs": shown})


def get_run(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/runs/{run} (routers/api/v1/repo/action.go::GetWorkflowRun @v1.25.4): Actions readers."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.run(find_run(repo, run_id), repo))


def list_run_jobs(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/runs/{run}/jobs (routers/api/v1/repo/action.go::ListWorkflowRunJobs @v1.25.4).

    Filters by repository and run id without looking the run up: an unknown run lists no jobs.
    """
    repo = ctx.repo(owner, name)
    run = repo.runs.get(run_id)
    status = ctx.request.args.get("status")
    jobs = [j for j in (run.jobs if run else []) if status in (None, j.status, j.conclusion)]
    return ctx.json({"total_count": len(jobs), "jobs": [ctx.shapes.job(j, run, repo) for j in _window(ctx, jobs)]})


def get_job(ctx: Ctx, owner: str, name: str, job_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/jobs/{job_id} (routers/api/v1/repo/action.go::GetWorkflowJob @v1.25.4)."""
    repo = ctx.repo(owner, name)
    job = repo.job(job_id)
    if job is None:
        raise ApiError(404, "The target couldn't be found.")
    return ctx.json(ctx.shapes.job(job, repo.runs[job.run_id], repo))


def job_logs(ctx: Ctx, owner: str, name: str, job_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs (routers/api/v1/repo/actions_run.go::DownloadActionsRunJobLogs @v1.25.4).

    An unknown job id is an internal error up to 1.26 (the lookup error is not mapped to 404).
    """
    repo = ctx.repo(owner, name)
    job = repo.job(job_id)
    if job is None:
        raise ApiError(ctx.profile.unknown_job_log_status, f"job with id {job_id}: not found")
    if job.started is None:
        raise ApiError(404, f"job {job_id} has not started: no logs yet")
    return Response(ci.log_lines(job.log, job.started), 200, content_type="text/plain; charset=utf-8")


def list_workflows(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/actions/workflows (routers/api/v1/repo/action.go::ActionsListRepositoryWorkflows @v1.25.4): default branch."""
    repo = ctx.repo(owner, name)
    head = repo.resolve(None)
    if head is None:
        raise ApiError(404, "The target couldn't be found.")
    names = [n for n in workflow_files(head.files) if "/" not in n]
    return ctx.json({"total_count": len(names), "workflows": [ctx.shapes.workflow(repo, n) for n in names]})


def dispatch(ctx: Ctx, owner: str, name: str, workflow: str) -> Response:
    """POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches (routers/api/v1/repo/action.go::ActionsDispatchWorkflow @v1.25.4).

    services/actions/workflow.go `DispatchActionWorkflow`: `ref` is a branch (a commit sha is 404),
    an unknown workflow is 404; 204 without a body. Only the 1.27 tree checks for the trigger (422).
    """
    repo = ctx.repo(owner, name, "write")
    ref = ctx.field("ref") or ""
    if not ref:
        raise ApiError(422, "ref is required parameter")
    branch = ref.removeprefix("refs/heads/")
    commit = repo.commits.get(repo.branches[branch]) if branch in repo.branches else None
    if commit is None:
        raise ApiError(404, f"ref {ref} does not exist")
    text = workflow_files(commit.files).get(workflow)
    if text is None:
        raise ApiError(404, f"workflow {workflow!r} not found")
    if ctx.profile.dispatch_checks_trigger and b"workflow_dispatch" not in text:
        raise ApiError(422, f"workflow {workflow!r} has no workflow_dispatch trigger")
    inputs = dict(ctx.field("inputs") or {})
    jobs = _jobs_of(text)
    run = ci.new_run(ctx.state, repo, workflow=workflow, head_sha=commit.sha, head_branch=branch,
                     event="workflow_dispatch", actor=ctx.signed_in(), jobs=jobs)
    repo.dispatches.append({"workflow": workflow, "ref": branch, "inputs": inputs, "user": ctx.user.login,
                            "run_id": run.id})
    ctx.triggers.append(Trigger(repo.full_name, "workflow_dispatch", branch, commit.sha, workflow, inputs, run.id,
                                ctx.user.login))
    return ctx.empty(204)


def _jobs_of(text: bytes) -> list[dict]:
    """The jobs a workflow file declares ([{name, labels}]); one job "test" when it declares none."""
    try:
        jobs = parse_workflow("dispatch", text).jobs
    except WorkflowFileError:
        jobs = ()
    return [{"name": j.name, "labels": list(j.labels)} for j in jobs] or [{"name": "test"}]


def _rerun(ctx: Ctx, owner: str, name: str, run_id: int, failed_only: bool) -> tuple[Repo, Run]:
    repo = ctx.repo(owner, name, "write")
    run = find_run(repo, run_id)
    try:
        events = ci.rerun(ctx.state, repo, run, ctx.signed_in(), failed_only=failed_only)
    except ValueError as exc:
        raise ApiError(409, f"cannot re-run run {run_id}: {exc}") from exc
    for event in events:
        ctx.emit(repo, event)
    ctx.triggers.append(Trigger(repo.full_name, "rerun", run.full_ref, run.head_sha,
                                run.workflow, run_id=run.id, actor=ctx.user.login if ctx.user else None))
    return repo, run


def rerun_failed(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs (1.26+, PR #36768, which reuses the web UI's routers/web/repo/actions/view.go::Rerun @v1.25.4).

    The same run id is queued again (the web UI's rerun); `run_attempt` stays 0 before 1.27.
    """
    _rerun(ctx, owner, name, run_id, failed_only=True)
    return ctx.empty(201)


def rerun_run(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun (1.26+, PR #36768: the web UI's routers/web/repo/actions/view.go::Rerun @v1.25.4)."""
    repo, run = _rerun(ctx, owner, name, run_id, failed_only=False)
    return ctx.json(ctx.shapes.run(run, repo), 201)


def list_statuses(ctx: Ctx, owner: str, name: str, sha: str) -> Response:
    """GET /repos/{owner}/{repo}/statuses/{sha} (routers/api/v1/repo/status.go::GetCommitStatuses @v1.25.4)."""
    repo = ctx.repo(owner, name)
    state = ctx.request.args.get("state")
    found = [s for s in reversed(repo.statuses) if s.sha == sha and state in (None, s.state)]
    return ctx.page([ctx.shapes.status(s, repo) for s in found])


def create_status(ctx: Ctx, owner: str, name: str, sha: str) -> Response:
    """POST /repos/{owner}/{repo}/statuses/{sha} (routers/api/v1/repo/status.go::NewCommitStatus @v1.25.4, reqRepoWriter(TypeCode)).

    An unknown sha fails inside services/repository/commitstatus `CreateCommitStatus` and is a 500.
    """
    repo = ctx.repo(owner, name, "write")
    commit = repo.resolve(sha)
    if commit is None:
        raise ApiError(500, f"GetCommit[{sha}]: object does not exist [id: {sha}, rel_path: ]")
    if ctx.field("state") not in STATES:
        raise ApiError(400, f"state must be one of {', '.join(STATES)}")
    status = Status(ctx.state.next_id("status"), commit.sha, ctx.field("state"), ctx.field("context") or "default",
                    ctx.field("description") or "", ctx.field("target_url") or "", ctx.signed_in())
    repo.statuses.append(status)
    ctx.emit(repo, status_event(ctx.shapes, status, repo, status.creator))
    return ctx.json(ctx.shapes.status(status, repo), 201)


SECRET_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$", re.IGNORECASE)


def put_secret(ctx: Ctx, owner: str, name: str, secretname: str) -> Response:
    """PUT /repos/{owner}/{repo}/actions/secrets/{secretname} (routers/api/v1/repo/action.go::CreateOrUpdateSecret @v1.25.4).

    Registered by `addActionsRoutes(m, reqOwner(), …)` in api.go: a token, then the repository's owner
    or a site admin (an Admin collaborator gets 403). The body binds `CreateOrUpdateSecretOption`
    (`data` is Required: 422); services/secrets/validation.go `ValidateName` refuses other names, the
    GITEA_/GITHUB_ prefixes and CI (400); models/secret/secret.go stores the name upper-cased.
    201 when created, 204 when replaced, no body.
    """
    ctx.signed_in()
    repo = ctx.owner(owner, name)
    data = ctx.field("data")
    if not isinstance(data, str) or not data:
        raise ApiError(422, "[Data]: Required")
    if not SECRET_NAME.match(secretname) or secretname.upper().startswith(("GITEA_", "GITHUB_")) or secretname.upper() == "CI":
        raise ApiError(400, "invalid variable or secret name")
    created = secretname.upper() not in repo.secrets
    repo.secrets[secretname.upper()] = data
    return ctx.empty(201 if created else 204)


ROUTES = [
    Route("GET", R + "/actions/runs", list_runs, needs="runs_api"),
    Route("GET", R + "/actions/tasks", list_tasks),
    Route("GET", R + "/actions/runs/<int:run_id>", get_run, needs="runs_api"),
    Route("GET", R + "/actions/runs/<int:run_id>/jobs", list_run_jobs, needs="runs_api"),
    Route("GET", R + "/actions/jobs/<int:job_id>", get_job, needs="runs_api"),
    Route("GET", R + "/actions/jobs/<int:job_id>/logs", job_logs, needs="job_logs"),
    Route("GET", R + "/actions/workflows", list_workflows),
    Route("POST", R + "/actions/workflows/<workflow>/dispatches", dispatch, needs="dispatch"),
    Route("POST", R + "/actions/runs/<int:run_id>/rerun-failed-jobs", rerun_failed, needs="rerun"),
    Route("POST", R + "/actions/runs/<int:run_id>/rerun", rerun_run, needs="rerun"),
    Route("PUT", R + "/actions/secrets/<secretname>", put_secret),
    Route("GET", R + "/statuses/<sha>", list_statuses),
    Route("POST", R + "/statuses/<sha>", create_status),
]
