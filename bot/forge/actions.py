"""Actions methods of GiteaClient: runs, jobs, tasks, logs, workflows, dispatch and re-runs.

Who may call what (routers/api/v1/api.go @v1.25.4): one run, its jobs, one job and its log, the
tasks list and the workflows need read access to Actions; dispatch and re-run need write access;
the runs LIST needs the owner or a site admin on 1.25 (`reqOwner`), Actions read access from 1.26;
setting an Actions secret needs the owner or a site admin (`reqOwner`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from bot.forge.capabilities import Capabilities
from bot.forge.compat import runs_from_tasks
from bot.forge.errors import Forbidden, NotFound, RunsListForbidden
from bot.forge.transport import MAX_PAGES, PAGE_LIMIT, Transport

Json = dict[str, Any]


def _repo_path(repo: str) -> str:
    from bot.forge.client import repo_path

    return repo_path(repo)


class ActionsMethods:
    """Gitea Actions endpoints; mixed into GiteaClient."""

    transport: Transport
    _get: Callable[..., Any]
    _send: Callable[..., Any]
    _require: Callable[[str, str], None]
    capabilities: Callable[[], Capabilities]
    get_file: Callable[..., bytes | None]
    get_contents: Callable[..., Any]

    def list_runs(self, repo: str, *, branch: str | None = None, event: str | None = None,
                  status: str | None = None, head_sha: str | None = None) -> list[Json]:
        """Workflow runs, newest first, all pages (Gitea 1.25+).

        `branch` matches branch runs only: pull_request runs have no head_branch. On Gitea 1.25 a bot
        that is not the owner or a site admin gets RunsListForbidden (see `run_summaries`).
        """
        return list(self.iter_runs(repo, branch=branch, event=event, status=status, head_sha=head_sha))

    def iter_runs(self, repo: str, *, branch: str | None = None, event: str | None = None,
                  status: str | None = None, head_sha: str | None = None) -> Iterator[Json]:
        """Workflow runs, newest first, read a page at a time as the caller goes (filters as `list_runs`)."""
        self._require("runs_api", "listing workflow runs")
        params = {"branch": branch, "event": event, "status": status, "head_sha": head_sha}
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            body = self._runs_page(repo, params, page)
            batch = body.get("workflow_runs") or []
            yield from batch
            seen += len(batch)
            if not batch or seen >= int(body.get("total_count") or 0):
                return

    def _runs_page(self, repo: str, params: Mapping[str, str | None], page: int) -> Json:
        """One page of the runs list; a 1.25 owner-only 403 becomes RunsListForbidden."""
        try:
            return self.transport.request("GET", f"{_repo_path(repo)}/actions/runs",
                                          params={**params, "page": page, "limit": PAGE_LIMIT}).json()
        except Forbidden as exc:
            if not self.capabilities().runs_list_needs_owner:
                raise
            raise RunsListForbidden(exc.status, exc.url, f"403 from GET {exc.url}: Gitea {self.capabilities().version} "
                                    "lets only the repository owner or a site admin list runs; one run (by id), its "
                                    "jobs and logs stay readable (use run_summaries, or run ids from webhooks)") from exc

    def list_tasks(self, repo: str) -> list[Json]:
        """Actions tasks (one per job attempt), newest first: readable by every Actions reader."""
        return self.transport.paginate_total(f"{_repo_path(repo)}/actions/tasks", "workflow_runs")

    def run_summaries(self, repo: str, *, head_sha: str | None = None, branch: str | None = None) -> list[Json]:
        """Runs as the runs list would show them when the bot may list runs, else from the tasks list.

        From tasks (Gitea 1.25 without owner rights) a summary has run_number, status, conclusion,
        head_sha, path and jobs but no `id`: take run ids from workflow_run/workflow_job webhooks.
        """
        try:
            return self.list_runs(repo, head_sha=head_sha, branch=branch)
        except RunsListForbidden:
            return runs_from_tasks(self.list_tasks(repo), head_sha=head_sha, branch=branch)

    def get_run(self, repo: str, run_id: int) -> Json:
        """One workflow run (Gitea 1.25+)."""
        self._require("runs_api", "reading a workflow run")
        return self._get(f"{_repo_path(repo)}/actions/runs/{run_id}")

    def list_run_jobs(self, repo: str, run_id: int) -> list[Json]:
        """The jobs of a workflow run (Gitea 1.25+)."""
        self._require("runs_api", "listing the jobs of a run")
        return self.transport.paginate_total(f"{_repo_path(repo)}/actions/runs/{run_id}/jobs", "jobs")

    def get_job(self, repo: str, job_id: int) -> Json:
        """One workflow job (Gitea 1.25+)."""
        self._require("runs_api", "reading a workflow job")
        return self._get(f"{_repo_path(repo)}/actions/jobs/{job_id}")

    def job_log(self, repo: str, job_id: int) -> Iterator[bytes]:
        """A job's log (text/plain, one timestamp-prefixed line per line), streamed (Gitea 1.24+)."""
        self._require("job_logs", "reading job logs")
        return self.transport.stream(f"{_repo_path(repo)}/actions/jobs/{job_id}/logs")

    def list_workflows(self, repo: str) -> list[Json]:
        """The workflow files of the default branch (`path` says .gitea/workflows or .github/workflows)."""
        return self._get(f"{_repo_path(repo)}/actions/workflows").get("workflows") or []

    def get_workflow_file(self, repo: str, name: str, ref: str | None = None) -> bytes | None:
        """A workflow file at `ref`: from .gitea/workflows, or .github/workflows when that has none.

        modules/actions/workflows.go `ListWorkflows` (v1.25.4) falls back to .github/workflows only
        when the .gitea/workflows folder does not exist.
        """
        found = self.get_file(repo, f".gitea/workflows/{name}", ref)
        if found is not None:
            return found
        try:
            self.get_contents(repo, ".gitea/workflows", ref)
        except NotFound:
            return self.get_file(repo, f".github/workflows/{name}", ref)
        return None

    def dispatch_workflow(self, repo: str, workflow_file: str, ref: str,
                          inputs: Mapping[str, str] | None = None) -> None:
        """Start a `workflow_dispatch` run of `workflow_file` (e.g. "deploy.yml") on `ref`."""
        path = f"{_repo_path(repo)}/actions/workflows/{quote(workflow_file, safe='')}/dispatches"
        self._send("POST", path, {"ref": ref, "inputs": dict(inputs or {})})

    def rerun_failed_jobs(self, repo: str, run_id: int) -> None:
        """Re-run the failed jobs of a run (Gitea 1.26+)."""
        self._require("rerun", "re-running failed jobs")
        self._send("POST", f"{_repo_path(repo)}/actions/runs/{run_id}/rerun-failed-jobs")

    def rerun_run(self, repo: str, run_id: int) -> Json | None:
        """Re-run a whole run (Gitea 1.26+); returns the run when Gitea sends it."""
        self._require("rerun", "re-running a workflow run")
        return self._send("POST", f"{_repo_path(repo)}/actions/runs/{run_id}/rerun")

    def set_actions_secret(self, repo: str, name: str, data: str, description: str = "") -> bool:
        """Create or replace the repository's Actions secret `name`; True when it was created.

        routers/api/v1/repo/action.go `CreateOrUpdateSecret` (v1.25.4, Gitea 1.19+): 201 created,
        204 replaced. It is registered through `addActionsRoutes(m, reqOwner(), …)` in api.go: only
        the repository's owner or a site admin may call it (an Admin collaborator gets 403).
        """
        path = f"{_repo_path(repo)}/actions/secrets/{quote(name, safe='')}"
        return self.transport.request("PUT", path, json={"data": data, "description": description}).status_code == 201
