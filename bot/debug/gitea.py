"""What the debug agent reads from Gitea: runs, failed jobs and their logs, code at a commit, documents.

Thin helpers over the Gitea client, shared by the debugger's steps; Gitea's JSON becomes
`bot.forge.models` values here, as it arrives. The model's bounded tools are served from here too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.debug.core.commits import is_bot_branch
from bot.debug.core.decide import Rerun
from bot.debug.core.pipeline import PipelineResult
from bot.debug.core.prompts import REQUIREMENT_DOCS, dir_result, file_result, requirements_result, search_result
from bot.forge.client import GiteaClient
from bot.forge.errors import ForgeError, NotFound, RunsListForbidden
from bot.forge.models import Entry, Job, Pull, Run, tree_entries
from bot.llm.reply import ToolCall
from bot.security.paths import PathError, confine, confine_folder, normalise_path
from bot.triage import Triage, triage
from bot.triage.shapes import Learned

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

    result: PipelineResult
    workflow: str  # the workflow file, e.g. "ci.yml", or the external status's context
    triage: Triage
    job_id: int
    job_name: str
    raw_log: bytes
    attempt: int = 0  # the failed job's try: more than 1 once it was re-run (by the bot or by a person)


def read_log(forge: GiteaClient, repo: str, job_id: int) -> bytes:
    """A job's whole log (up to MAX_LOG_BYTES)."""
    chunks, size = [], 0
    for chunk in forge.job_log(repo, job_id):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_LOG_BYTES:
            break
    return b"".join(chunks)


def runs(forge: GiteaClient, repo: str, **filters: str) -> list[Run]:
    """Workflow runs, newest first (`branch`, `event`, `status`, `head_sha` filters as the runs API has them)."""
    return [Run.from_api(run) for run in forge.list_runs(repo, **filters)]


def triage_job(forge: GiteaClient, repo: str, job: Job, *, workflow: str, branch: str, max_lines: int = 40,
               learned: Learned | None = None) -> JobTriage:
    """Triage one job of a run of `workflow` on `branch` against the same job of its last green run there.

    The one way a run's job is triaged: by the debug agent, `teabot triage --run` and the Actions step.
    `learned`: the cause-line shapes the repository's users confirmed, ranked first.
    """
    raw = read_log(forge, repo, job.id)
    baseline = baseline_log(forge, repo, job, workflow=workflow, branch=branch)
    found = triage(raw, baseline, max_lines=max_lines, learned=learned)
    return JobTriage(job.id, job.name, baseline is not None, found, raw)


def failed_jobs(forge: GiteaClient, repo: str, run_id: int) -> list[Job]:
    """The jobs of a run that finished with a failure."""
    return [job for job in map(Job.from_api, forge.list_run_jobs(repo, run_id)) if job.conclusion == "failure"]


def failed_run(forge: GiteaClient, repo: str, result: PipelineResult, learned: Learned | None = None) -> FailedRun | None:
    """Triage the first failed job of a run, with the last green run of the same job as the baseline."""
    failed = failed_jobs(forge, repo, result.run_id)
    if not failed:
        return None
    found = triage_job(forge, repo, failed[0], workflow=result.workflow, branch=result.branch, learned=learned)
    return FailedRun(result, result.workflow, found.result, found.job_id, found.job_name, found.raw_log,
                     max(failed[0].attempt, result.attempt))


def baseline_log(forge: GiteaClient, repo: str, job: Job, *, workflow: str, branch: str) -> bytes | None:
    """The log of `job`'s namesake in the last green run of `workflow` on `branch` (not `job`'s own run), if any."""
    try:
        greens = runs(forge, repo, branch=branch, status="success") if branch else []
    except RunsListForbidden:  # Gitea 1.25 lets only the owner or a site admin list runs: no baseline
        return None
    for green in greens:
        if green.workflow != workflow or green.id == job.run_id:
            continue
        for other in map(Job.from_api, forge.list_run_jobs(repo, green.id)):
            if other.name == job.name:
                return read_log(forge, repo, other.id)
        return None
    return None


def latest_completed(forge: GiteaClient, repo: str, branch: str, workflow: str) -> Run | None:
    """The newest completed run of `workflow` on `branch` (None when Gitea does not let the bot list runs)."""
    try:
        found = runs(forge, repo, branch=branch)
    except RunsListForbidden:
        return None
    return next((run for run in found if run.workflow == workflow and run.done), None)


def pull_for_commit(forge: GiteaClient, repo: str, sha: str) -> Pull | None:
    """The open pull request whose head is `sha` (a person's before the bot's: a fix branch starts at the failing commit)."""
    pulls = [pull for pull in map(Pull.from_api, forge.list_pulls(repo, state="open")) if sha and pull.head_sha == sha]
    return min(pulls, key=lambda pull: is_bot_branch(pull.head_ref), default=None)


def run_result(forge: GiteaClient, repo: str, run: Run, bot_login: str) -> PipelineResult:
    """A run as a pipeline result; a pull_request run's branch is its pull request's (Gitea omits `head_branch`)."""
    branch = ""
    if not run.head_branch:
        pull = pull_for_commit(forge, repo, run.head_sha)
        branch = pull.head_ref if pull is not None else ""
    return PipelineResult.from_run(repo, run, bot_login=bot_login, branch=branch)


def dispatchable(forge: GiteaClient, repo: str, workflow: str, sha: str) -> bool:
    """True when `workflow` (at `sha`) can be started by a workflow_dispatch."""
    return b"workflow_dispatch" in (forge.get_file(repo, f".gitea/workflows/{workflow}", ref=sha) or b"")


def dispatched_since(forge: GiteaClient, repo: str, workflow: str, sha: str, bot_login: str, *, after: int) -> bool:
    """Is there a run of `workflow` on `sha` that the bot dispatched, newer than run `after`?

    A job run again after a crash asks this before dispatching, so that its earlier try's dispatch
    is not repeated; when the runs cannot be listed (Gitea 1.25 for a bot that is not the owner)
    nothing says so, and the dispatch is made."""
    try:
        listed = runs(forge, repo, head_sha=sha, event="workflow_dispatch")
    except RunsListForbidden:
        return False
    return any(run.workflow == workflow and run.id > after and run.triggered_by.lower() == bot_login.lower()
               for run in listed)


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
    return [entry.path for entry in tree_entries(forge.get_tree(repo, ref)) if entry.type == "blob"]


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
        """The result of one tool call, as text for the model (a refused path is said so, never read)."""
        args = call.arguments
        try:
            if call.name == "read_file":
                path = confine(str(args["path"]), self.tree())
                return file_result(path, self.read(path), start_line=int(args.get("start_line") or 1))
            if call.name == "list_dir":
                folder = confine_folder(str(args.get("path") or ""))
                return dir_result(folder, self._list(folder))
        except PathError as exc:
            return f"refused: {exc}. Paths are relative to the repository root and stay inside it."
        if call.name == "search_code":
            return search_result(str(args["query"]), self._search(str(args["query"])))
        if call.name == "read_requirements":
            return requirements_result(str(args["name"]), self.docs.get(str(args["name"])))
        return self.excerpt  # get_excerpt

    def read(self, path: str) -> str | None:
        """A file as the fix sees it (earlier attempts' changes included); None for a path outside the repository."""
        if path in self.overlay:
            return self.overlay[path]
        try:
            clean = normalise_path(path)
        except PathError:
            return None  # never put it in a URL; the guard rejects an edit to it
        return file_text(self.forge, self.repo, clean, self.ref)

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
        found = Entry.from_api(entry) if isinstance(entry, dict) else None  # a folder's contents are a list
        if found is not None and found.sha:
            shas[path] = found.sha
    return shas
