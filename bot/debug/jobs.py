"""The auto-debug agent's jobs: one per step of a session, each resumed by a webhook, a timer or a sweep.

A session waiting for CI occupies no worker: its next step is a job queued by the agent through
`Deps.schedule` (at once, or after a delay for a poll) and run by whichever worker is free.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from bot.config.repo import ROLE_RANK
from bot.config.repo_files import RepoFileError, load_repo_config, repo_files
from bot.commands import parse_command
from bot.debug import agent as debugger
from bot.debug import teach
from bot.debug.core.commits import is_bot_branch
from bot.debug.core.external import FAILED
from bot.debug.core.settings import effective_debug, job_timeout
from bot.debug.deps import Deps, Schedule
from bot.debug.external_logs import ExternalLogs
from bot.debug.learned import RedisStore, SqliteStore
from bot.debug.ledger import FailureLedger, Ledger
from bot.debug.ledger_db import SqliteLedger
from bot.debug.store import RedisSessionStore, SessionStore, SqliteSessionStore
from bot.events import BOT_MARKER
from bot.forge.client import GiteaClient
from bot.forge.models import Run, Status
from bot.redact import redact
from bot.triage.feedback import Correction, parse_correction
from bot.triage.memory import ShapeStore
from bot.worker.caps import CallCounter, capped
from bot.worker.jobs import command_comment, comment_on, job, refusal, role_of
from bot.worker.queues import JobRequest
from bot.worker.runtime import Runtime

CONFIG_STATUS = "teabot/config"
STEP_JOBS = {"attempt": "bot.debug.jobs.debug_attempt", "poll": "bot.debug.jobs.debug_poll"}


def _debug_deps(rt: Runtime, repo: str, *, docs_folder: str | None = None) -> Deps:
    """Everything a debug step needs, for `repo`."""
    client = rt.forge()
    files = repo_files(client, repo)
    repo_config = files.config()
    config, phases = effective_debug(repo_config.debug, files.playbook("auto_debug"))
    if docs_folder:
        config = config.model_copy(update={"docs_folder": docs_folder})
    store = _session_store(rt)
    # The session's budget (core/session) bounds the whole session; this per-job one only stops a runaway round.
    llm = capped(rt.llm(config.budget.tokens), CallCounter.for_limits(rt.counts(), repo, "", repo_config.limits))
    external = ExternalLogs(rt.settings.ci_log_hosts, config.external_ci.log_url, deadline=rt.settings.ci_log_deadline)
    return Deps(forge=client, llm=llm, store=store, config=config, schedule=_scheduler(rt), clock=rt.clock,
                bot_login=rt.bot_login(), skill=files.skill("auto_debug").instructions,
                ledger=_ledger(rt), external=external, phases=phases,
                trust=repo_config.trust, shapes=_shape_stores(rt), again=rt.rerun)


def _session_store(rt: Runtime) -> SessionStore:
    """Sessions in Redis, else in the state file (a runtime built with neither keeps them in memory)."""
    if rt.redis is not None:
        return RedisSessionStore(rt.redis)
    return SqliteSessionStore(rt.state_db) if rt.state_db is not None else rt.memory_sessions()


def _ledger(rt: Runtime) -> FailureLedger | None:
    """The failure ledger in Redis, else in the state file; None for a runtime built with neither."""
    if rt.redis is not None:
        return Ledger(rt.redis)
    return SqliteLedger(rt.state_db) if rt.state_db is not None else None


def _shape_stores(rt: Runtime) -> Callable[[str], ShapeStore] | None:
    """Each repository's learned cause shapes, where the ledger is (without a ledger nothing is learned)."""
    redis_conn, state = rt.redis, rt.state_db
    if redis_conn is not None:
        return lambda repo: RedisStore(redis_conn, repo)
    if state is not None:
        return lambda repo: SqliteStore(state, repo)
    return None


def _scheduler(rt: Runtime) -> Schedule:
    """`schedule(step, delay, **kwargs)`: queue a session's next step on this runtime's queue."""

    def schedule(step: str, delay: float, **kwargs: str | int) -> None:
        key = hashlib.sha1(f"{step}:{kwargs}:{time.time_ns()}".encode()).hexdigest()
        request = JobRequest(STEP_JOBS[step], key, kwargs, timeout=job_timeout(rt.settings))
        if delay > 0:
            rt.queue.submit_in(delay, request)
        else:
            rt.queue.submit(request)

    return schedule


def _repo_of(key: str) -> str:
    return key.split(":", 1)[0]


def _deps_for_failure(rt: Runtime, repo: str, failed_commit: Callable[[GiteaClient], str]) -> Deps:
    """The debug deps for a pipeline result; when a teabot file of the repo is broken, the failed commit
    (if any) gets a `teabot/config` error status that says what is wrong, since no issue is there to tell."""
    try:
        return _debug_deps(rt, repo)
    except RepoFileError as exc:
        client = rt.forge()
        sha = failed_commit(client)
        if sha:
            text = redact(str(exc))
            description = text if len(text) <= 250 else text[:249] + "…"
            client.create_status(repo, sha, "error", CONFIG_STATUS, description)
        raise


def _failed_run_commit(repo: str, run_id: int) -> Callable[[GiteaClient], str]:
    def commit(client: GiteaClient) -> str:
        run = Run.from_api(client.get_run(repo, run_id))
        return run.head_sha if run.conclusion == "failure" and not is_bot_branch(run.head_branch) else ""
    return commit


@job("the debug session")
def debug_run(rt: Runtime, *, repo: str, run_id: int, trigger: str = "workflow_run", delivery_id: str = "") -> None:
    """A run failed: open a debug session for it (at most one per commit and workflow)."""
    debugger.start(_deps_for_failure(rt, repo, _failed_run_commit(repo, run_id)), repo, run_id, trigger=trigger)


@job("the debug attempt")
def debug_attempt(rt: Runtime, *, key: str) -> None:
    """One round of a session's fix loop."""
    debugger.attempt(_debug_deps(rt, _repo_of(key)), key)


@job("the CI result")
def debug_run_completed(rt: Runtime, *, repo: str, run_id: int, delivery_id: str = "") -> None:
    """A run completed: resume the session waiting for it, if any; open a session when it failed."""
    debugger.on_run(_deps_for_failure(rt, repo, _failed_run_commit(repo, run_id)), repo, run_id)


@job("the external CI status")
def debug_status(rt: Runtime, *, repo: str, status: dict, delivery_id: str = "") -> None:
    """A commit status from external CI: resume the session waiting for it, or open one when it failed."""
    found = Status.from_api(status)
    failed = found.sha if found.state in FAILED else ""
    debugger.on_status(_deps_for_failure(rt, repo, lambda client: failed), repo, status)


@job("the CI poll")
def debug_poll(rt: Runtime, *, key: str, round_no: int = 1) -> None:
    """Look for the run a session waits on (the webhook's fallback)."""
    debugger.poll(_debug_deps(rt, _repo_of(key)), key, round_no)


@job("the reconciliation sweep")
def debug_sweep(rt: Runtime, *, repo: str) -> None:
    """Start sessions for failed runs of `repo` that have none."""
    debugger.sweep(_debug_deps(rt, repo), repo)


@job("`/debug`")
def debug_pr(rt: Runtime, *, repo: str, number: int, login: str, docs_folder: str = "", comment_id: int = 0,
             delivery_id: str = "") -> None:
    """`/debug [docs-folder]` on a pull request: debug the latest failure of its branch (Actions or external CI)."""
    client = rt.forge()
    if comment_id:  # the author and text come from Gitea, never from the delivery
        found = command_comment(client, repo, number, comment_id, "debug")
        if found is None:
            return
        login, docs_folder = found[0], (found[1].words or [""])[0]
    config = load_repo_config(client, repo)
    role = role_of(client, repo, login)
    if not config.may("debug", role, login) or ROLE_RANK.get(role, 0) < ROLE_RANK["write"]:
        client.create_comment(repo, number, refusal("debug", "", login, repo))
        return
    found = debugger.debug_pull(_debug_deps(rt, repo, docs_folder=docs_folder or None), repo, client.get_pull(repo, number))
    if isinstance(found, str):
        client.create_comment(repo, number, f"{BOT_MARKER}:debug -->\n{found}")


@job("`/triage`")
def triage_correction(rt: Runtime, *, repo: str, number: int, comment_id: int, delivery_id: str = "") -> None:
    """`/triage lines …`, `/triage forget`, or quoted excerpt lines: teach triage the cause of the failure reported here."""
    client = rt.forge()
    found = _correction(client, repo, number, comment_id)
    if found is None:
        return
    login, correction, command = found
    if login.lower() == rt.bot_login().lower():
        return  # the bot's own reports quote excerpt lines too
    role = role_of(client, repo, login)
    if not load_repo_config(client, repo).may("triage", role, login) or ROLE_RANK.get(role, 0) < ROLE_RANK["write"]:
        if command:  # quoting lines in a discussion is no request: only the command hears a refusal
            client.create_comment(repo, number, refusal("triage", "", login, repo))
        return
    reply = teach.correct(_debug_deps(rt, repo), repo, number, correction) if correction else teach.USAGE
    if reply is None and not command:
        return  # lines quoted where teabot reported no failure are someone's discussion, not a correction
    client.create_comment(repo, number, f"{BOT_MARKER}:triage -->\n{reply or teach.UNREPORTED}")


def _correction(client: GiteaClient, repo: str, number: int, comment_id: int) -> tuple[str, Correction, bool] | None:
    """The author of comment `comment_id` as Gitea has it now, the correction it makes, and whether it is a
    `/triage` command; None when it is gone, elsewhere, or (edited since) makes none."""
    comment = comment_on(client, repo, number, comment_id)
    if comment is None or not comment.author:
        return None
    command = parse_command(comment.body)
    if command is not None:  # another command's comment is that command's, whatever it quotes
        return (comment.author, parse_correction(f"/triage {command.args}"), True) if command.name == "triage" else None
    correction = parse_correction(comment.body)
    return (comment.author, correction, False) if correction.lines else None
