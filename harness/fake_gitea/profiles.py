"""Version profiles of the fake Gitea: what each Gitea release serves and how, in one table.

Every route and behaviour that differs between releases reads its `Profile` instead of comparing
version strings. Sources (paths relative to go-gitea/gitea):
- 1.24 / 1.25: tags v1.24.0 and v1.25.4 (369830bada), `routers/api/v1/api.go` and the handlers
  named at each field.
- 1.26: tag v1.26.0-dev (f09bea7af1) plus the upstream changelog of 1.26.0 (rerun API, PR #36768;
  runs list opened to readers, PR #36818).
- 1.27: the Actions API of a 1.27.x-based tree (swagger.actions-newer.excerpt.json; attempts from
  PR #37119, `run_attempt` counted from 1).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """What one Gitea release does where teabot looks."""

    series: str  # "1.25"
    version: str  # what GET /version answers
    # GET …/actions/jobs/{id}/logs (api.go `m.Group("/actions/jobs"`, reqRepoReader(TypeActions)), 1.24+.
    job_logs: bool = True
    # POST …/actions/workflows/{id}/dispatches (api.go, reqRepoWriter(TypeActions)), 1.24+.
    dispatch: bool = True
    # GET …/actions/runs/{run}, …/runs/{run}/jobs, …/actions/jobs/{id} (api.go, reqRepoReader), 1.25+.
    runs_api: bool = True
    # GET …/actions/runs is registered by `addActionsRoutes(m, reqOwner(), …)` in 1.25 (api.go
    # `reqOwner`: repository owner or site admin only); 1.26 opens it to Actions readers (PR #36818).
    runs_list_owner_only: bool = False
    # POST …/actions/runs/{run}/rerun and /rerun-failed-jobs: 1.26+ (PR #36768).
    rerun: bool = False
    # `run_attempt` of a run: 1.25/1.26 `convert.ToActionWorkflowRun` never sets it (0) and a rerun
    # keeps the run id; the 1.27 tree counts attempts from 1 (PR #37119).
    run_attempt_counts: bool = False
    # `workflow_job` webhooks 1.24+, `workflow_run` 1.25+ (modules/webhook/type.go HookEventType).
    workflow_job_hook: bool = True
    workflow_run_hook: bool = True
    # services/webhook/notifier.go `WorkflowRunStatusUpdate` returns early when `GetActionWorkflow`
    # cannot find the workflow file on the default branch (1.25, 1.26-dev); the 1.27 tree sends it.
    workflow_run_needs_default_branch_file: bool = True
    # routers/api/v1/repo/issue_dependency.go `GetIssueDependencies` sets no Link/X-Total-Count in
    # 1.25.4; 1.26 sets both.
    dependency_list_headers: bool = False
    # routers/api/v1/repo/action.go: job logs of an unknown job are a 500 up to 1.26, 404 in the 1.27 tree.
    unknown_job_log_status: int = 500
    # services/actions/workflow.go `DispatchActionWorkflow`: 1.27 rejects a workflow without an
    # `on: workflow_dispatch` trigger (422); earlier releases start it anyway.
    dispatch_checks_trigger: bool = False

    def at_least(self, series: str) -> bool:
        """True when this profile is `series` ("1.26") or newer."""
        return _key(self.series) >= _key(series)


def _key(series: str) -> tuple[int, ...]:
    return tuple(int(part) for part in series.split("."))


PROFILES: dict[str, Profile] = {
    "1.24": Profile("1.24", "1.24.7", runs_api=False, runs_list_owner_only=False, workflow_run_hook=False),
    "1.25": Profile("1.25", "1.25.4", runs_list_owner_only=True),
    "1.26": Profile("1.26", "1.26.0", rerun=True, dependency_list_headers=True),
    "1.27": Profile("1.27", "1.27.1", rerun=True, run_attempt_counts=True, dependency_list_headers=True,
                    workflow_run_needs_default_branch_file=False, unknown_job_log_status=404,
                    dispatch_checks_trigger=True),
}
NEWEST = "1.27"


def profile_for(version: str) -> Profile:
    """The profile of a version ("1.25", "1.25.4", "v1.26.0+dev"); the version string is kept as given."""
    text = version.strip().lstrip("v")
    series = ".".join(text.split("+", 1)[0].split("-", 1)[0].split(".")[:2])
    if series not in PROFILES:
        known = ", ".join(PROFILES)
        raise ValueError(f"the fake Gitea models Gitea {known}, not {version!r}")
    base = PROFILES[series]
    if text == series:
        return base
    return Profile(**{**base.__dict__, "version": text})
