"""What a Gitea server can do, decided from its version string.                        PURE

Feature history (Gitea release notes): `workflow_job` webhooks and job logs at
`GET /repos/{o}/{r}/actions/jobs/{id}/logs` since 1.24; the runs/jobs API and `workflow_run`
webhooks since 1.25; re-run endpoints (`.../actions/runs/{run}/rerun[-failed-jobs]`) since 1.26.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_VERSION = {"job_logs": "1.24", "workflow_job": "1.24", "runs_api": "1.25", "workflow_run": "1.25", "rerun": "1.26"}
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
    runs_api: bool = False
    workflow_run: bool = False
    rerun: bool = False

    @classmethod
    def from_version(cls, version: str) -> Capabilities:
        """Flags for a version string; an unparseable version gets no optional features."""
        parsed = parse_version(version)
        if parsed is None:
            return cls(version)
        at_least = parsed[:2].__ge__
        return cls(
            version,
            job_logs=at_least((1, 24)),
            workflow_job=at_least((1, 24)),
            runs_api=at_least((1, 25)),
            workflow_run=at_least((1, 25)),
            rerun=at_least((1, 26)),
        )
