"""Fake Gitea routes: Actions runs, jobs, logs, workflows, dispatch, re-run; commit statuses.

Version gates follow Gitea: job logs since 1.24, the runs/jobs API since 1.25, re-run since 1.26
(shapes from the 1.27 description excerpt); older servers answer 404 as for an unknown route.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea import ci
from harness.fake_gitea.app import ApiError, Ctx, Route, Trigger
from harness.fake_gitea.payloads import status_event
from harness.fake_gitea.state import Repo, Run, Status
from harness.fake_gitea.workflow_spec import WORKFLOW_DIR, WorkflowFileError, parse_workflow

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
    """GET /repos/{owner}/{repo}/actions/runs."""
    repo = ctx.repo(owner, name)
    args = ctx.request.args
    wanted = {k: args.get(k) for k in ("event", "branch", "status", "actor", "head_sha") if args.get(k)}
    runs = [r for r in sorted(repo.runs.values(), key=lambda r: -r.id)
            if wanted.get("event", r.event) == r.event and wanted.get("branch", r.head_branch) == r.head_branch
            and wanted.get("status") in (None, r.status, r.conclusion) and wanted.get("actor", r.actor.login) == r.actor.login
            and wanted.get("head_sha", r.head_sha) == r.head_sha]
    return ctx.json({"total_count": len(runs), "workflow_runs": [ctx.shapes.run(r, repo) for r in _window(ctx, runs)]})


def get_run(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/runs/{run_id}."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.run(find_run(repo, run_id), repo))


def list_run_jobs(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs."""
    repo = ctx.repo(owner, name)
    run = find_run(repo, run_id)
    status = ctx.request.args.get("status")
    jobs = [j for j in run.jobs if status in (None, j.status, j.conclusion)]
    return ctx.json({"total_count": len(jobs), "jobs": [ctx.shapes.job(j, run, repo) for j in _window(ctx, jobs)]})


def get_job(ctx: Ctx, owner: str, name: str, job_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/jobs/{job_id}."""
    repo = ctx.repo(owner, name)
    job = repo.job(job_id)
    if job is None:
        raise ApiError(404, f"job with id {job_id}: not found")
    return ctx.json(ctx.shapes.job(job, repo.runs[job.run_id], repo))


def job_logs(ctx: Ctx, owner: str, name: str, job_id: int) -> Response:
    """GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs."""
    repo = ctx.repo(owner, name)
    job = repo.job(job_id)
    if job is None or job.started is None:
        raise ApiError(404, f"job with id {job_id}: not found or not started")
    return Response(ci.log_lines(job.log, job.started), 200, content_type="text/plain; charset=utf-8")


def list_workflows(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/actions/workflows."""
    repo = ctx.repo(owner, name)
    files = sorted(p[len(WORKFLOW_DIR):] for p in repo.resolve(None).files if p.startswith(WORKFLOW_DIR))
    names = [f for f in files if f.endswith((".yml", ".yaml")) and "/" not in f]
    return ctx.json({"total_count": len(names), "workflows": [ctx.shapes.workflow(repo, n) for n in names]})


def dispatch(ctx: Ctx, owner: str, name: str, workflow: str) -> Response:
    """POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches."""
    repo = ctx.repo(owner, name, "write")
    ref = (ctx.field("ref") or "").removeprefix("refs/heads/")
    commit = repo.resolve(ref) if ref else None
    if commit is None:
        raise ApiError(422, f"ref is required and must name a branch or commit [ref: {ref}]")
    if WORKFLOW_DIR + workflow not in commit.files:
        raise ApiError(404, f"workflow {workflow!r} not found on {ref}")
    inputs = dict(ctx.field("inputs") or {})
    branch = ref if ref in repo.branches else repo.default_branch
    jobs = _jobs_of(commit.files[WORKFLOW_DIR + workflow])
    run = ci.new_run(ctx.state, repo, workflow=workflow, head_sha=commit.sha, head_branch=branch,
                     event="workflow_dispatch", actor=ctx.signed_in(), jobs=jobs)
    repo.dispatches.append({"workflow": workflow, "ref": ref, "inputs": inputs, "user": ctx.user.login,
                            "run_id": run.id})
    ctx.triggers.append(Trigger(repo.full_name, "workflow_dispatch", ref, commit.sha, workflow, inputs, run.id,
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
    ctx.triggers.append(Trigger(repo.full_name, "rerun", f"refs/heads/{run.head_branch}", run.head_sha,
                                run.workflow, run_id=run.id, actor=ctx.user.login if ctx.user else None))
    return repo, run


def rerun_failed(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs."""
    _rerun(ctx, owner, name, run_id, failed_only=True)
    return ctx.empty(201)


def rerun_run(ctx: Ctx, owner: str, name: str, run_id: int) -> Response:
    """POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun."""
    repo, run = _rerun(ctx, owner, name, run_id, failed_only=False)
    return ctx.json(ctx.shapes.run(run, repo), 201)


def list_statuses(ctx: Ctx, owner: str, name: str, sha: str) -> Response:
    """GET /repos/{owner}/{repo}/statuses/{sha}."""
    repo = ctx.repo(owner, name)
    state = ctx.request.args.get("state")
    found = [s for s in reversed(repo.statuses) if s.sha == sha and state in (None, s.state)]
    return ctx.page([ctx.shapes.status(s, repo) for s in found])


def create_status(ctx: Ctx, owner: str, name: str, sha: str) -> Response:
    """POST /repos/{owner}/{repo}/statuses/{sha}."""
    repo = ctx.repo(owner, name, "write")
    commit = repo.resolve(sha)
    if commit is None:
        raise ApiError(404, f"commit does not exist [sha: {sha}]")
    if ctx.field("state") not in STATES:
        raise ApiError(400, f"state must be one of {', '.join(STATES)}")
    status = Status(ctx.state.next_id("status"), commit.sha, ctx.field("state"), ctx.field("context") or "default",
                    ctx.field("description") or "", ctx.field("target_url") or "", ctx.signed_in())
    repo.statuses.append(status)
    ctx.emit(repo, status_event(ctx.shapes, status, repo, status.creator))
    return ctx.json(ctx.shapes.status(status, repo), 201)


ROUTES = [
    Route("GET", R + "/actions/runs", list_runs, since=(1, 25)),
    Route("GET", R + "/actions/runs/<int:run_id>", get_run, since=(1, 25)),
    Route("GET", R + "/actions/runs/<int:run_id>/jobs", list_run_jobs, since=(1, 25)),
    Route("GET", R + "/actions/jobs/<int:job_id>", get_job, since=(1, 25)),
    Route("GET", R + "/actions/jobs/<int:job_id>/logs", job_logs, since=(1, 24)),
    Route("GET", R + "/actions/workflows", list_workflows, since=(1, 23)),
    Route("POST", R + "/actions/workflows/<workflow>/dispatches", dispatch, since=(1, 23)),
    Route("POST", R + "/actions/runs/<int:run_id>/rerun-failed-jobs", rerun_failed, since=(1, 26)),
    Route("POST", R + "/actions/runs/<int:run_id>/rerun", rerun_run, since=(1, 26)),
    Route("GET", R + "/statuses/<sha>", list_statuses),
    Route("POST", R + "/statuses/<sha>", create_status),
]
