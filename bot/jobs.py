"""RQ entry points: module-level functions with JSON-able arguments.

A job body is assembly only: build the clients from `Settings`, call an agent, report. The
`reported` wrapper gives every job the same failure semantics: transient errors (Gitea 5xx,
timeouts, model rate limits) are left to RQ's Retry; permanent ones cancel the remaining retries,
and on the final failure the human who asked is told what failed and how to run it again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rq import get_current_job

from bot.commands import render_help
from bot.config.settings import ConfigError, Settings
from bot.events import BOT_MARKER
from bot.forge import make_forge
from bot.forge.client import GiteaClient
from bot.forge.errors import Forbidden
from bot.debug.ledger import Ledger
from bot.worker.queues import JobRequest, is_transient, make_queue
from bot.debug.store import MemorySessionStore, RedisSessionStore
from bot.redact import redact
from bot.debug import agent as debugger
from bot.plan import agent as planner
from bot.debug.external_logs import ExternalLogs
from bot.plan.agent import PlanRequest
from bot.llm.client import make_llm, max_call_seconds
from bot.llm.usage import TokenBudget
from bot.config.repo import ROLE_RANK, RepoConfig
from bot.config.skills import bundled_skills
from bot.debug.core.settings import effective_debug
from bot.config.repo_files import RepoFileError, load_repo_config, repo_files

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
_settings: Settings | None = None
_queue: Any = None


def configure(settings: Settings, *, queue: Any = None) -> None:
    """Set the settings (and the queue, for follow-up jobs) jobs run with; called once at process start."""
    global _settings, _queue
    _settings, _queue = settings, queue


def queue() -> Any:
    """The queue follow-up jobs go to (RQ from REDIS_URL unless one was configured)."""
    global _queue
    if _queue is None:
        _queue = make_queue(settings())
    return _queue


def settings() -> Settings:
    """The configured settings, read from the environment on first use in a plain `rq worker`."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env(os.environ)
    return _settings


def forge() -> GiteaClient:
    """A Gitea client acting as the bot user."""
    current = settings()
    if not current.gitea_token:
        raise ConfigError("TEABOT_GITEA_TOKEN is not set: create a token for the bot user in Gitea and set it")
    return make_forge(current)


def reported(what: str) -> Callable[[F], F]:
    """Decorate a job: fail fast on permanent errors, and tell the human on the final failure."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def run(**kwargs: Any) -> Any:
            job = get_current_job()
            extra = {"job_id": job.id if job else "", "repo": kwargs.get("repo", ""), "delivery_id": kwargs.get("delivery_id", "")}
            try:
                return func(**kwargs)
            except Exception as exc:
                final = not is_transient(exc) or job is None or not job.retries_left
                if job is not None and not is_transient(exc):
                    job.retries_left = 0  # permanent: no point in retrying, straight to the failed registry
                log.error("%s failed (%s): %s", what, "final" if final else "will retry", exc, extra=extra)
                if final and kwargs.get("repo") and kwargs.get("number"):
                    _tell_failure(what, kwargs["repo"], kwargs["number"], exc, job.id if job else None)
                raise

        return run  # type: ignore[return-value]

    return decorate


def _tell_failure(what: str, repo: str, number: int, exc: Exception, job_id: str | None) -> None:
    how = f"comment the command again, or ask an operator to run `rq requeue {job_id}`" if job_id else "comment the command again"
    body = f"{BOT_MARKER}:error -->\n:warning: teabot could not finish {what}: {redact(str(exc))}\n\nTo run it again, {how}."
    try:
        forge().create_comment(repo, number, body)
    except Exception as report_exc:  # reporting is best effort; the job's own error is what matters
        log.error("could not report the failure on %s#%s: %s", repo, number, report_exc)


def repo_config(client: GiteaClient, repo: str) -> RepoConfig:
    """The repository's `.gitea/teabot.yaml` (defaults when absent), cached per commit."""
    return load_repo_config(client, repo)


def planning_timeout(current: Settings) -> int:
    """Job timeout of a planning command: room for its model calls (draft, repair, stories) and Gitea calls."""
    return int(4 * max_call_seconds(current.model)) + 300


def bot_login(client: GiteaClient) -> str:
    """The bot's own login."""
    return settings().bot_login or str(client.current_user()["login"])


def role_of(client: GiteaClient, repo: str, login: str) -> str:
    """A user's permission on `repo`; Gitea lets only repository admins read other users' permissions."""
    try:
        return client.collaborator_permission(repo, login)
    except Forbidden as exc:
        raise ConfigError(f"the bot user cannot read @{login}'s permission on {repo} ({exc}): give the bot user "
                          "Admin access to the repository, so it can check who may run commands") from None


def _refusal(command: str, args: str, login: str, repo: str) -> str:
    usage = f"/{command} {args}".strip() if command == "plan" and args.strip().lower() == "approve" else f"/{command}"
    return f"{BOT_MARKER}:refused -->\n@{login}: `{usage}` needs more access to {repo} than you have; ask a maintainer."


@reported("the planning command")
def plan_command(*, repo: str, number: int, login: str, command: str, args: str = "", delivery_id: str = "") -> None:
    """Run `/plan`, `/plan <feedback>`, `/plan approve`, `/summarize` or `/classify` on an issue."""
    client = forge()
    files = repo_files(client, repo)
    config = files.config()
    role = role_of(client, repo, login)
    request = PlanRequest(repo, number, login, command, args)
    needed = "plan" if command == "plan" else command
    if not config.may(needed, role, login) or (request.mode == "approve" and ROLE_RANK.get(role, 0) < ROLE_RANK["write"]):
        client.create_comment(repo, number, _refusal(command, args, login, repo))
        return
    workflow = files.workflow("plan")
    llm = make_llm(settings().model, budget=TokenBudget(workflow.budgets.tokens))
    skills = {name: files.skill(name).instructions for name in bundled_skills()}
    planner.plan(request, forge=client, llm=llm, bot_login=bot_login(client), workflow=workflow, skills=skills)


@reported("`/help`")
def reply_help(*, repo: str, number: int, delivery_id: str = "") -> None:
    """Answer `/help` with the commands enabled on this repository."""
    client = forge()
    config = repo_config(client, repo)
    if "help" in config.enabled_commands():
        client.create_comment(repo, number, f"{BOT_MARKER}:help -->\n{render_help(config.enabled_commands())}")


# --- the auto-debug agent -----------------------------------------------------------------------------

_memory_sessions = MemorySessionStore()


def _debug_deps(repo: str, *, docs_folder: str | None = None) -> debugger.Deps:
    """Everything a debug step needs, for `repo`."""
    current, client = settings(), forge()
    files = repo_files(client, repo)
    config, phases = effective_debug(files.config().debug, files.workflow("auto_debug"))
    if docs_folder:
        config = config.model_copy(update={"docs_folder": docs_folder})
    connection = redis.Redis.from_url(current.redis_url) if current.redis_url else None
    store = RedisSessionStore(connection) if connection is not None else _memory_sessions
    skill = files.skill("auto_debug").instructions
    return debugger.Deps(forge=client, llm=make_llm(current.model, budget=TokenBudget(config.budget.tokens)), store=store,
                         config=config, schedule=_schedule, clock=time.time, bot_login=bot_login(client), skill=skill,
                         ledger=Ledger(connection) if connection is not None else None,
                         external=ExternalLogs(current.ci_log_hosts, config.external_ci.log_url), phases=phases)


def _schedule(step: str, delay: float, **kwargs: Any) -> None:
    func = {"attempt": debug_attempt, "poll": debug_poll}[step]
    key = hashlib.sha1(f"{step}:{kwargs}:{time.time_ns()}".encode()).hexdigest()
    request = JobRequest(func, key, kwargs, timeout=debug_timeout(settings()))
    if delay > 0:
        queue().submit_in(delay, request)
    else:
        queue().submit(request)


def debug_timeout(current: Settings) -> int:
    """Job timeout of a debug step: several model turns plus Gitea calls."""
    return int(8 * max_call_seconds(current.model)) + 600


def _repo_of(key: str) -> str:
    return key.split(":", 1)[0]


CONFIG_STATUS = "teabot/config"


def _deps_for_failure(repo: str, failed_commit: Callable[[GiteaClient], str]) -> debugger.Deps:
    """The debug deps for a pipeline result; when a teabot file of the repo is broken, the failed commit
    (if any) gets a `teabot/config` error status that says what is wrong, since no issue is there to tell."""
    try:
        return _debug_deps(repo)
    except RepoFileError as exc:
        client = forge()
        sha = failed_commit(client)
        if sha:
            text = redact(str(exc))
            description = text if len(text) <= 250 else text[:249] + "…"
            client.create_status(repo, sha, "error", CONFIG_STATUS, description)
        raise


def _failed_run_commit(repo: str, run_id: int) -> Callable[[GiteaClient], str]:
    def commit(client: GiteaClient) -> str:
        run = client.get_run(repo, run_id)
        failed = run.get("conclusion") == "failure" and not str(run.get("head_branch") or "").startswith("teabot/")
        return str(run.get("head_sha") or "") if failed else ""
    return commit


@reported("the debug session")
def debug_run(*, repo: str, run_id: int, trigger: str = "workflow_run", delivery_id: str = "") -> None:
    """A run failed: open a debug session for it (at most one per commit and workflow)."""
    debugger.start(_deps_for_failure(repo, _failed_run_commit(repo, run_id)), repo, run_id, trigger=trigger)


@reported("the debug attempt")
def debug_attempt(*, key: str) -> None:
    """One round of a session's fix loop."""
    debugger.attempt(_debug_deps(_repo_of(key)), key)


@reported("the CI result")
def debug_run_completed(*, repo: str, run_id: int, delivery_id: str = "") -> None:
    """A run completed: resume the session waiting for it, if any; open a session when it failed."""
    deps = _deps_for_failure(repo, _failed_run_commit(repo, run_id))
    if debugger.ci_result(deps, repo, run_id) is None:
        debugger.start(deps, repo, run_id, trigger="workflow_run")


@reported("the external CI status")
def debug_status(*, repo: str, status: dict, delivery_id: str = "") -> None:
    """A commit status from external CI: resume the session waiting for it, or open one when it failed."""
    failed = str(status.get("sha") or "") if status.get("state") in ("failure", "error") else ""
    debugger.on_status(_deps_for_failure(repo, lambda client: failed), repo, status)


@reported("the CI poll")
def debug_poll(*, key: str, round_no: int = 1) -> None:
    """Look for the run a session waits on (the webhook's fallback)."""
    debugger.poll(_debug_deps(_repo_of(key)), key, round_no)


@reported("the reconciliation sweep")
def debug_sweep(*, repo: str) -> None:
    """Start sessions for failed runs of `repo` that have none."""
    debugger.sweep(_debug_deps(repo), repo)


@reported("`/debug`")
def debug_pr(*, repo: str, number: int, login: str, docs_folder: str = "", delivery_id: str = "") -> None:
    """`/debug [docs-folder]` on a pull request: debug the latest failure of its branch (Actions or external CI)."""
    client = forge()
    config = repo_config(client, repo)
    role = role_of(client, repo, login)
    if not config.may("debug", role, login) or ROLE_RANK.get(role, 0) < ROLE_RANK["write"]:
        client.create_comment(repo, number, _refusal("debug", "", login, repo))
        return
    found = debugger.debug_pull(_debug_deps(repo, docs_folder=docs_folder or None), repo, client.get_pull(repo, number))
    if isinstance(found, str):
        client.create_comment(repo, number, f"{BOT_MARKER}:debug -->\n{found}")
