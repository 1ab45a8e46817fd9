"""What a Gitea server can do, decided from its version string.                        PURE

Feature history (Gitea source, routers/api/v1/api.go at each tag, and release notes):
- 1.24: `workflow_job` webhooks, job logs (`GET …/actions/jobs/{id}/logs`), workflow dispatch.
- 1.25: the runs/jobs API and `workflow_run` webhooks. The runs LIST (`GET …/actions/runs`) is
  registered through `addActionsRoutes(m, reqOwner(), …)`: only the repository owner or a site
  admin may call it; one run, its jobs, a job and its log need only read access to Actions.
  `workflow_run` is not sent when the workflow file is missing from the default branch
  (services/webhook/notifier.go `WorkflowRunStatusUpdate`), in 1.26 too.
- 1.26: re-run endpoints (`…/actions/runs/{run}/rerun[-failed-jobs]`, PR #36768) re-queue the SAME
  run id and leave `run_attempt` at 0 (`convert.ToActionWorkflowRun` never sets it); the runs list
  opens to Actions readers (PR #36818); the dependency list sends Link/X-Total-Count.
- 1.27: `run_attempt` counts from 1 and grows with each re-run (PR #37119); every `workflow_run` sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_VERSION = {"job_logs": "1.24", "workflow_job": "1.24", "dispatch": "1.24", "runs_api": "1.25",
               "workflow_run": "1.25", "rerun": "1.26", "runs_list_for_readers": "1.26",
               "dependency_list_headers": "1.26", "run_attempt_counts": "1.27",
               "workflow_run_always_sent": "1.27"}
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a Gitea version such as "1.26.0+dev-12-gabc" or "1.27.1-rc1"."""
    text = text.strip()
    if "+gitea-" in text:  # Forgejo reports e.g. "7.0.0+gitea-1.21.0": the Gitea API level is after it
        text = text.split("+gitea-", 1)[1]
    match = _VERSION.match(text)
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


@dataclass(frozen=True)
class Capabilities:
    """Feature flags of one Gitea server."""

    version: str
    job_logs: bool = False
    workflow_job: bool = False
    dispatch: bool = False
    runs_api: bool = False
    workflow_run: bool = False
    rerun: bool = False
    # False on 1.25: listing runs needs the repository owner or a site admin (reqOwner).
    runs_list_for_readers: bool = False
    # 1.26+: Link and X-Total-Count on GET …/issues/{n}/dependencies (1.25 sends neither).
    dependency_list_headers: bool = False
    # 1.27+: a rerun shows as run_attempt 2, 3, …; before, a rerun keeps the run id AND run_attempt 0,
    # so only status/conclusion (and job run_attempt) tell a re-run from the first attempt.
    run_attempt_counts: bool = False
    # 1.27+: workflow_run is sent even when the workflow file is absent from the default branch.
    workflow_run_always_sent: bool = False

    @property
    def rerun_keeps_run_id(self) -> bool:
        """True where a rerun re-queues the same run id (every Gitea with the rerun API)."""
        return self.rerun

    @property
    def runs_list_needs_owner(self) -> bool:
        """True where only the owner or a site admin may list runs (1.25)."""
        return self.runs_api and not self.runs_list_for_readers

    @classmethod
    def from_version(cls, version: str) -> Capabilities:
        """Flags for a version string; an unparseable version gets no optional features."""
        parsed = parse_version(version)
        if parsed is None:
            return cls(version)
        flags = {flag: parsed[:2] >= _series(since) for flag, since in MIN_VERSION.items()}
        return cls(version, **flags)


def _series(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)
