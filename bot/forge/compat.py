"""Pure helpers for what differs between Gitea servers and setups.                          PURE

- Attachment URLs: Gitea builds `browser_download_url` from its ROOT_URL (models/repo/attachment.go
  `DownloadURL` @v1.25.4: ROOT_URL + "attachments/" + uuid), which need not be the address the bot
  reaches Gitea at; `attachment_url` moves such a URL onto the configured base.
- Runs from tasks: on Gitea 1.25 only the owner or a site admin may list runs, but every Actions
  reader may list tasks (`GET …/actions/tasks`, repo/action.go `ListActionTasks`); a task is one
  attempt of one job and names its run by number, never by id (convert.go `ToActionTask`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import httpx

Json = dict[str, Any]

ATTACHMENT_PATH = re.compile(r"(?:/.*)?/attachments/[0-9a-fA-F-]{36}/?$")
# ToActionTask's status is models/actions/status.go `Status.String()`
_TASK_DONE = {"success": "success", "failure": "failure", "cancelled": "cancelled", "skipped": "skipped"}


def run_ref(run: Json) -> str:
    """The git ref of a run or job payload: from `path` ("ci.yml@refs/pull/7/head"), else its branch.

    convert.go `ToActionWorkflowRun` (v1.25.4) sets Path to "<workflow>@<run.Ref>" and leaves
    head_branch empty (hence absent) for pull_request and tag runs.
    """
    _, sep, ref = str(run.get("path") or "").partition("@")
    if sep and ref:
        return ref
    branch = str(run.get("head_branch") or "")
    return f"refs/heads/{branch}" if branch else ""


def pull_number(run: Json) -> int | None:
    """The pull request a pull_request run is for (its ref is refs/pull/<n>/head), else None."""
    match = re.fullmatch(r"refs/pull/(\d+)/head", run_ref(run))
    return int(match[1]) if match else None


def web_base(api_base: httpx.URL) -> httpx.URL:
    """The web root of a Gitea whose API is at `api_base` (".../api/v1/")."""
    path = api_base.path.rstrip("/")
    return api_base.copy_with(path=path.removesuffix("/api/v1") + "/")


def attachment_url(url: str, api_base: httpx.URL) -> httpx.URL:
    """The URL to fetch an attachment from: Gitea's attachment path moved onto the configured server."""
    base = web_base(api_base)
    if url.startswith("/"):
        return base.join(url.lstrip("/"))
    target = httpx.URL(url)
    same = (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)
    if same or not ATTACHMENT_PATH.fullmatch(target.path):
        return target
    uuid = target.path.rstrip("/").rsplit("/", 1)[1]
    return base.join(f"attachments/{uuid}")


def runs_from_tasks(tasks: Iterable[Json], *, head_sha: str | None = None, branch: str | None = None) -> list[Json]:
    """Run summaries (newest first) from task entries: run_number, head_sha, head_branch (branch runs
    only), event, path, status, conclusion (when every job is done), html_url and jobs. No `id`:
    tasks do not carry the run id; take it from the workflow_run/workflow_job webhook."""
    runs: dict[int, Json] = {}
    for task in tasks:
        if head_sha and task.get("head_sha") != head_sha:
            continue
        pretty = str(task.get("head_branch") or "")
        if branch is not None and pretty != branch:
            continue
        number = int(task.get("run_number") or 0)
        run = runs.setdefault(number, {
            "run_number": number, "head_sha": task.get("head_sha"), "event": task.get("event"),
            "path": str(task.get("workflow_id") or ""), "display_title": task.get("display_title"),
            "html_url": task.get("url"), "jobs": {}})
        if pretty and not pretty.startswith("#"):  # PrettyRef gives "#N" for pull request refs
            run["head_branch"] = pretty
        run["jobs"].setdefault(str(task.get("name")), str(task.get("status") or ""))  # newest attempt first
    return [_summarise(run) for _, run in sorted(runs.items(), reverse=True)]


def _summarise(run: Json) -> Json:
    states = list(run["jobs"].values())
    done = bool(states) and all(s in _TASK_DONE for s in states)
    summary = {**run, "status": "completed" if done else "in_progress"}
    if done:
        summary["conclusion"] = next((c for c in ("failure", "cancelled") if c in states), "success")
    return summary
