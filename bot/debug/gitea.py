"""What the debug agent reads from Gitea: runs, failed jobs and their logs, code at a commit, documents.

Thin helpers over the Gitea client, shared by the debugger's steps; the model's bounded tools are
served from here too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.debug.core.decide import Rerun
from bot.debug.core.prompts import REQUIREMENT_DOCS, dir_result, file_result, requirements_result, search_result
from bot.forge.client import GiteaClient
from bot.forge.errors import ForgeError, NotFound, RunsListForbidden
from bot.llm.reply import ToolCall
from bot.triage import Triage, triage

log = logging.getLogger(__name__)
MAX_LOG_BYTES = 64 * 1024 * 1024  # a job log larger than this is cut (its tail is kept by triage's ring)
SEARCH_FILES = 200  # files scanned by one search_code call
TEXT_SUFFIXES = (".py", ".js", ".ts", ".tsx", ".go", ".rs", ".java", ".kt", ".rb", ".php", ".c", ".h", ".cc", ".cpp",
                 ".cs", ".md", ".txt", ".toml", ".yaml", ".yml", ".json", ".cfg", ".ini", ".sh", ".mjs", ".cjs")


@dataclass(frozen=True)
class JobTriage:
    """The triage of one failed job of a run; `has_baseline` when a green run's log served as baseline."""

    job_id: int
    job_name: str
    has_baseline: bool
    result: Triage
    raw_log: bytes

    def to_json(self) -> dict[str, Any]:
        """The triage's JSON object with the job's id and name (as `teabot triage --run --json` prints it)."""
        return {"job_id": self.job_id, "job": self.job_name, "baseline": self.has_baseline, **self.result.to_json()}


@dataclass(frozen=True)
class FailedRun:
    """A failed run, its failed jobs' triage, and what was read to get it."""

    run: dict
    workflow: str  # the workflow file, e.g. "ci.yml"
    triage: Triage
    job_id: int
    job_name: str
    raw_log: bytes


def workflow_file(run: dict) -> str:
    """The workflow file of a run ("ci.yml" from "ci.yml@refs/heads/main" or ".gitea/workflows/ci.yml").

    An external CI's status made into a run (`debugging.external.status_run`) is named by its context.
    """
    if run.get("context"):
        return str(run["context"])
    path = str(run.get("path") or "")
    return path.split("@", 1)[0].rsplit("/", 1)[-1]


def read_log(forge: GiteaClient, repo: str, job_id: int) -> bytes:
    """A job's whole log (up to MAX_LOG_BYTES)."""
    chunks, size = [], 0
    for chunk in forge.job_log(repo, job_id):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_LOG_BYTES:
            break
    return b"".join(chunks)


def triage_job(forge: GiteaClient, repo: str, run: dict, job: dict, *, max_lines: int = 40) -> JobTriage:
    """Triage one job of `run` against the same job of the last green run of its workflow.

    The one way a run's job is triaged: by the debug agent, `teabot triage --run` and the Actions step.
    """
    name = str(job.get("name") or "")
    raw = read_log(forge, repo, int(job["id"]))
    baseline = baseline_log(forge, repo, run, name)
    return JobTriage(int(job["id"]), name, baseline is not None, triage(raw, baseline, max_lines=max_lines), raw)


def failed_jobs(forge: GiteaClient, repo: str, run_id: int) -> list[dict]:
    """The jobs of a run that finished with a failure."""
    return [j for j in forge.list_run_jobs(repo, run_id) if j.get("conclusion") == "failure"]


def failed_run(forge: GiteaClient, repo: str, run: dict) -> FailedRun | None:
    """Triage the first failed job of `run`, with the last green run of the same job as the baseline."""
    failed = failed_jobs(forge, repo, int(run["id"]))
    if not failed:
        return None
    found = triage_job(forge, repo, run, failed[0])
    return FailedRun(run, workflow_file(run), found.result, found.job_id, found.job_name, found.raw_log)


def baseline_log(forge: GiteaClient, repo: str, run: dict, job_name: str) -> bytes | None:
    """The log of `job_name` in the last green run of the same workflow on the same branch, if any."""
    wanted, branch = workflow_file(run), str(run.get("head_branch") or "")
    try:
        greens = forge.list_runs(repo, branch=branch, status="success") if branch else []
    except RunsListForbidden:  # Gitea 1.25 lets only the owner list runs: triage without a baseline
        return None
    for green in greens:
        if workflow_file(green) != wanted or green.get("id") == run.get("id"):
            continue
        for job in forge.list_run_jobs(repo, int(green["id"])):
            if job.get("name") == job_name:
                return read_log(forge, repo, int(job["id"]))
        return None
    return None


def ended_after(run: dict, since: float) -> bool:
    """True when the run completed at or after `since` (a Unix time); runs without a time count as after."""
    stamp = str(run.get("completed_at") or run.get("updated_at") or "")
    try:
        ended = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return True
    return ended >= since - 1  # Gitea keeps whole seconds


def latest_completed(forge: GiteaClient, repo: str, branch: str, workflow: str) -> dict | None:
    """The newest completed run of `workflow` on `branch` (None when Gitea does not let the bot list runs)."""
    try:
        runs = forge.list_runs(repo, branch=branch)
    except RunsListForbidden:
        return None
    for run in runs:
        if workflow_file(run) == workflow and run.get("status") == "completed":
            return run
    return None


def dispatchable(forge: GiteaClient, repo: str, workflow: str, sha: str) -> bool:
    """True when `workflow` (at `sha`) can be started by a workflow_dispatch."""
    return b"workflow_dispatch" in (forge.get_file(repo, f".gitea/workflows/{workflow}", ref=sha) or b"")


def rerun_capability(forge: GiteaClient, repo: str, workflow: str, sha: str) -> Rerun:
    """How a failed run of `workflow` can be run again on this server."""
    if forge.capabilities().rerun:
        return Rerun.API
    return Rerun.DISPATCH if dispatchable(forge, repo, workflow, sha) else Rerun.NONE


def file_text(forge: GiteaClient, repo: str, path: str, ref: str) -> str | None:
    """A text file at `ref`, or None."""
    try:
        data = forge.get_file(repo, path, ref=ref)
    except ForgeError as exc:
        log.info("cannot read %s at %s: %s", path, ref[:7], exc)
        return None
    return None if data is None else data.decode("utf-8", errors="replace")


def tree_paths(forge: GiteaClient, repo: str, ref: str) -> list[str]:
    """Paths of the files at `ref`."""
    return [e["path"] for e in forge.get_tree(repo, ref).get("tree", []) if e.get("type") == "blob"]


def requirement_docs(forge: GiteaClient, repo: str, folder: str, ref: str) -> dict[str, str]:
    """The requirement documents (prd.md, techDoc.md, testCase.md) found in `folder`."""
    found = {}
    for name in REQUIREMENT_DOCS:
        text = file_text(forge, repo, f"{folder.strip('/')}/{name}" if folder.strip("/") else name, ref)
        if text:
            found[name] = text
    return found


class Tools:
    """The model's bounded tools, served from the fix's base commit."""

    def __init__(self, forge: GiteaClient, repo: str, ref: str, excerpt: str, docs: dict[str, str],
                 overlay: dict[str, str | None] | None = None) -> None:
        self.forge, self.repo, self.ref, self.excerpt, self.docs = forge, repo, ref, excerpt, docs
        self.overlay = overlay or {}  # files changed by earlier attempts on the fix branch
        self._tree: list[str] | None = None

    def run(self, call: ToolCall) -> str:
        """The result of one tool call, as text for the model."""
        args = call.arguments
        if call.name == "read_file":
            path = str(args["path"]).strip("/")
            return file_result(path, self.read(path), start_line=int(args.get("start_line") or 1))
        if call.name == "list_dir":
            return dir_result(str(args.get("path") or ""), self._list(str(args.get("path") or "")))
        if call.name == "search_code":
            return search_result(str(args["query"]), self._search(str(args["query"])))
        if call.name == "read_requirements":
            return requirements_result(str(args["name"]), self.docs.get(str(args["name"])))
        return self.excerpt  # get_excerpt

    def read(self, path: str) -> str | None:
        """A file as the fix sees it (earlier attempts' changes included)."""
        if path in self.overlay:
            return self.overlay[path]
        return file_text(self.forge, self.repo, path, self.ref)

    def tree(self) -> list[str]:
        """The files of the commit."""
        if self._tree is None:
            self._tree = tree_paths(self.forge, self.repo, self.ref)
        return self._tree

    def _list(self, folder: str) -> list[str]:
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        names = {p[len(prefix):].split("/", 1)[0] + ("/" if "/" in p[len(prefix):] else "")
                 for p in self.tree() if p.startswith(prefix)}
        return sorted(names)

    def _search(self, query: str) -> list[tuple[str, int, str]]:
        hits = []
        for path in [p for p in self.tree() if p.endswith(TEXT_SUFFIXES)][:SEARCH_FILES]:
            text = self.read(path) or ""
            hits += [(path, n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if query in line]
        return hits


def blob_shas(forge: GiteaClient, repo: str, ref: str, paths: Sequence[str]) -> dict[str, str]:
    """The blob sha of each existing path at `ref` (the contents API wants it for updates and deletes)."""
    shas = {}
    for path in paths:
        try:
            entry = forge.get_contents(repo, path, ref)
        except NotFound:
            continue
        if isinstance(entry, dict) and entry.get("sha"):
            shas[path] = str(entry["sha"])
    return shas
