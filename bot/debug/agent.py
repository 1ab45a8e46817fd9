"""The auto-debug agent: failed pipeline → triage → decide → fix loop → CI → deploy → acceptance → report.

Logic only; Gitea, the model, the session store, the ledger and the scheduler arrive in `Deps`.
Each public function is one step, run by one RQ job: `start` (a run failed), `attempt` (one round
of the fix loop), `ci_result` (a run the session waits for ended) and `poll` (the fallback when no
webhook came). A session waiting for CI occupies no worker: it is stored, and a later step resumes it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.debug import external_logs as external
from bot.debug import gitea
from bot.debug import fix as debug_fix
from bot.debug.external_logs import ExternalLogs
from bot.debug.core.decide import Facts, Kind, PastFailure, Rerun, decide, effective_category, same_failure
from bot.debug.core.external import FAILED, LogUnavailable, is_external_result, is_status_run, state_of, status_run
from bot.debug.core.records import Budget, Result, State, WaitKind
from bot.debug.core.report import render_status
from bot.debug.core.settings import Phases
from bot.debug.core.session import Session, TransitionError, new_session, session_key
from bot.forge.client import GiteaClient
from bot.forge.errors import RunsListForbidden
from bot.debug.ledger import FailureRecord, Ledger
from bot.llm.client import LLM
from bot.config.repo import Debug
from bot.debug.store import SessionStore

log = logging.getLogger(__name__)
Schedule = Callable[..., None]  # schedule(step_name, delay_seconds, **kwargs)


@dataclass
class Deps:
    """Everything a step needs, built by the job."""

    forge: GiteaClient
    llm: LLM | None
    store: SessionStore
    config: Debug
    schedule: Schedule
    clock: Callable[[], float]
    bot_login: str
    skill: str = ""
    ledger: Ledger | None = None
    external: ExternalLogs = ExternalLogs()
    phases: Phases = Phases()

    def failed_run(self, repo: str, run: dict) -> gitea.FailedRun | None:
        """The triage of a failed run or external status; LogUnavailable when an external log cannot be read."""
        if is_status_run(run):
            return external.failed_status_run(self.external, run)
        return gitea.failed_run(self.forge, repo, run)


def start(deps: Deps, repo: str, run_id: int, *, trigger: str = "workflow_run") -> Session | None:
    """Open a session for a failed run (at most one per repo, commit and workflow) and act on it."""
    run = deps.forge.get_run(repo, run_id)
    branch, sha, workflow = str(run.get("head_branch") or ""), str(run.get("head_sha") or ""), gitea.workflow_file(run)
    if run.get("conclusion") != "failure" or branch.startswith("teabot/"):
        return None  # not a failure, or a fix branch's own run (ci_result handles those)
    if not deps.config.enabled and trigger != "/debug":
        return None  # debug.enabled: false turns off the automatic sessions; /debug still works
    if deps.config.workflows and workflow not in deps.config.workflows:
        return None
    key = session_key(repo, sha, workflow)
    with deps.store.lock(key):
        if _taken(deps, key, trigger):
            return None  # one failing run starts one session, however many jobs or deliveries say so
        found = gitea.failed_run(deps.forge, repo, run)
        if found is None:
            return None
        session = _triaged(deps, _open(deps, repo, run, trigger), found)
        session = _decide(deps, session, found, is_rerun=False)
        return _save(deps, session)


def on_status(deps: Deps, repo: str, status: dict) -> Session | None:
    """A commit status from external CI: resume the session waiting for it, or open one when it failed.

    The log is read from the status's target_url only from allowed hosts; without it triage is
    skipped and the report says why.
    """
    sha, context = str(status.get("sha") or ""), str(status.get("context") or "")
    if not sha or not is_external_result(status, deps.bot_login):
        return None
    # A passing status matters only on a fix commit, and every fix has its pull request: no branch listing.
    where = external.commit_branch(deps.forge, repo, sha, branches=state_of(status) in FAILED)
    if where is None:
        log.info("status %s on %s: no branch has this commit at its head; ignored", context, sha[:7], extra={"repo": repo})
        return None
    branch, pull = where
    author = str(((pull or {}).get("user") or {}).get("login") or _commit_author(status))
    run = status_run(status, branch=branch, author=author)
    if branch.startswith("teabot/"):
        return _resume(deps, repo, run)
    if state_of(status) not in FAILED or not _watched(deps.config, context):
        return None
    return _start_external(deps, repo, run, trigger="status")


def _start_external(deps: Deps, repo: str, run: dict, *, trigger: str) -> Session | None:
    key = session_key(repo, run["head_sha"], run["context"])
    with deps.store.lock(key):
        if _taken(deps, key, trigger):
            return None
        session = _open(deps, repo, run, trigger)
        try:
            found = deps.failed_run(repo, run)
        except LogUnavailable as exc:
            log.info("%s: triage skipped: %s", key, exc, extra={"repo": repo})
            note = ("no log to triage, so nothing was diagnosed or pushed; once the log can be read, `/debug` on the "
                    "pull request starts over")
            return _save(deps, replace(session, reason=f"triage skipped: {exc}").finish(State.REPORTED, now=deps.clock(),
                                                                                         note=note))
        session = _triaged(deps, session, found)
        return _save(deps, _decide(deps, session, found, is_rerun=False))


def debug_pull(deps: Deps, repo: str, pull: dict) -> Session | str:
    """`/debug` on a pull request: a session for the latest failure of its head, or why there is none.

    The latest failed Actions run of the head branch, else a failed external status on the head commit.
    A session that has ended is started over; one still running is left alone.
    """
    head, sha = str(pull["head"]["ref"]), str(pull["head"].get("sha") or "")
    try:
        failed = next((r for r in deps.forge.list_runs(repo, branch=head) if r.get("conclusion") == "failure"), None)
        listed = True
    except RunsListForbidden:  # Gitea 1.25: only the owner may list runs; a failed run still arrives by webhook
        failed, listed = None, False
    if failed is not None:
        session = start(deps, repo, int(failed["id"]), trigger="/debug")
    else:
        statuses = external.failed_statuses(deps.forge, repo, sha, deps.bot_login, deps.config.external_ci.contexts)
        if not statuses and not listed:
            return (f"No failed external status on `{head}`, and this Gitea lets only the repository owner or a site "
                    "admin list Actions runs, so teabot cannot look for a failed run here: a failed run starts a "
                    "session by itself through the workflow_run webhook (or make the bot a site admin, or use Gitea "
                    "1.26 or newer).")
        if not statuses:
            return f"No failed run or failed external status on `{head}` to debug."
        author = str((pull.get("user") or {}).get("login") or "")
        session = _start_external(deps, repo, status_run(statuses[0], branch=head, author=author), trigger="/debug")
    if session is None:
        return (f"No new session for `{head}`: teabot is still working on this failure (see its status comment), "
                "or `debug.workflows` in `.gitea/teabot.yaml` leaves this workflow out.")
    return session


def _taken(deps: Deps, key: str, trigger: str) -> bool:
    """Is there a session for `key` already? `/debug` may start over once the earlier one has ended."""
    existing = _load(deps, key)
    return existing is not None and not (trigger == "/debug" and existing.done)


def _watched(config: Debug, context: str) -> bool:
    """Does the repo want sessions for failures of this external context ("": of any)?"""
    ext = config.external_ci
    return config.enabled and ext.enabled and (not context or not ext.contexts or context in ext.contexts)


def _commit_author(status: dict) -> str:
    author = (status.get("commit") or {}).get("author") or {}
    return str(author.get("username") or "")


def attempt(deps: Deps, key: str) -> Session | None:
    """One round of the fix loop: the model proposes edits, the guard checks them, the fix is pushed."""
    with deps.store.lock(key):
        session = _load(deps, key)
        if session is None or session.state is not State.FIXING or session.current is not None:
            return session
        try:
            session = session.start_attempt(now=deps.clock())
        except TransitionError as exc:
            return _save(deps, session.finish(State.BUDGET_EXHAUSTED, now=deps.clock(), note=str(exc)))
        session = _save(deps, session)
        session = debug_fix.run_attempt(deps, session)
        if session.state is State.FIXING and not session.done:
            deps.schedule("attempt", 0, key=key)
        return _save(deps, session)


def ci_result(deps: Deps, repo: str, run_id: int) -> Session | None:
    """A run ended: if a session waits for it, record the result and take the next step."""
    return _resume(deps, repo, deps.forge.get_run(repo, run_id))


def _resume(deps: Deps, repo: str, run: dict) -> Session | None:
    if run.get("status") != "completed":
        return None
    key = _waiting_session(deps, repo, run)
    if key is None:
        return None
    with deps.store.lock(key):
        session = _load(deps, key)
        if session is None or session.waiting_for is None or not _matches(session, run):
            return session
        return _save(deps, _on_result(deps, session, run))


def poll(deps: Deps, key: str, round_no: int = 1) -> Session | None:
    """The fallback when no webhook arrives: look for the awaited run; give up after the wait deadline."""
    session = _load(deps, key)
    if session is None or session.waiting_for is None:
        return session
    wait = session.waiting_for
    if session.external and wait.kind is WaitKind.CI:
        found = external.current_status(deps.forge, session.repo, wait.sha, wait.workflow, branch=wait.branch)
        runs, listed = [found] if found else [], True
    else:
        try:
            runs = [r for r in deps.forge.list_runs(session.repo, head_sha=wait.sha) if gitea.workflow_file(r) == wait.workflow]
            listed = True
        except RunsListForbidden:  # Gitea 1.25 without owner rights: only the webhook can resume this session
            runs, listed = [], False
    done = next((r for r in runs if r.get("status") == "completed" and _matches(session, r)), None)
    if done is not None:
        return _resume(deps, session.repo, done)
    dispatch = listed and not runs and wait.kind is WaitKind.CI and not session.external and round_no == 1
    if dispatch and gitea.dispatchable(deps.forge, session.repo, wait.workflow, wait.sha):
        # No push-triggered run appeared within one poll interval (e.g. the workflow ignores teabot/ branches).
        log.info("no CI run for %s: dispatching %s on %s", wait.sha[:7], wait.workflow, wait.branch, extra={"repo": session.repo})
        deps.forge.dispatch_workflow(session.repo, wait.workflow, wait.branch)
    if session.wait_expired(deps.clock()):
        with deps.store.lock(key):
            session = _load(deps, key)
            if session is not None and session.waiting_for is not None:
                session = _timed_out(deps, session)
                _save(deps, session)
        return session
    deps.schedule("poll", deps.config.poll_interval_seconds, key=key, round_no=round_no + 1)
    return session


def sweep(deps: Deps, repo: str, *, limit: int = 20) -> list[str]:
    """Start sessions for recent failed runs that have none (Gitea never re-sends a lost delivery)."""
    started = []
    try:
        failed = deps.forge.list_runs(repo, status="failure")[:limit]
    except RunsListForbidden as exc:
        log.warning("sweep of %s skips Actions runs: %s", repo, exc, extra={"repo": repo})
        failed = []
    for run in failed:
        branch = str(run.get("head_branch") or "")
        key = session_key(repo, str(run.get("head_sha") or ""), gitea.workflow_file(run))
        if branch.startswith("teabot/") or deps.store.load(key) is not None:
            continue
        if start(deps, repo, int(run["id"]), trigger="sweep") is not None:
            started.append(key)
    if _watched(deps.config, ""):
        for pull, status in external.open_failures(deps.forge, repo, deps.bot_login, deps.config.external_ci.contexts):
            run = status_run(status, branch=str(pull["head"]["ref"]), author=str((pull.get("user") or {}).get("login") or ""))
            if not run["head_branch"].startswith("teabot/") and _start_external(deps, repo, run, trigger="sweep"):
                started.append(session_key(repo, run["head_sha"], run["context"]))
    collect_feedback(deps, repo)
    return started


VOTES = {"+1": 1, "-1": -1}


def collect_feedback(deps: Deps, repo: str) -> int:
    """Record 👍/👎 on the bot's status comments in the ledger, as feedback on that diagnosis or fix.

    Gitea sends no webhook for reactions, so the sweep reads them; a user's vote is stored once and
    a changed vote replaces it. Returns the number of votes seen.
    """
    if deps.ledger is None:
        return 0
    seen = 0
    for key in deps.store.keys(repo):
        session = _load(deps, key)
        if session is None or session.comment_id is None:
            continue
        entry = next((p for p in deps.ledger.history(repo, session.fingerprint) if p.commit == session.sha), None)
        if entry is None:
            continue
        for reaction in deps.forge.list_comment_reactions(repo, session.comment_id):
            vote = VOTES.get(str(reaction.get("content")))
            login = str((reaction.get("user") or {}).get("login") or "")
            if vote and login and login.lower() != deps.bot_login.lower():
                deps.ledger.add_feedback(entry.id, vote, login)
                seen += 1
    return seen


# --- opening and deciding ----------------------------------------------------------------------------


def _open(deps: Deps, repo: str, run: dict, trigger: str) -> Session:
    branch = str(run["head_branch"])
    base = str(deps.forge.get_repo(repo).get("default_branch") or "main")
    pull = deps.forge.find_pull(repo, head=branch)
    if pull is not None:
        base = str(pull["base"]["ref"])
    budget = Budget(deps.config.budget.attempts, deps.config.budget.tokens, deps.config.budget.minutes)
    actor = run.get("trigger_actor") or run.get("actor") or {}
    return new_session(
        repo, gitea.workflow_file(run), run_id=int(run["id"]), run_number=int(run.get("run_number") or run["id"]), branch=branch,
        base_branch=base, sha=str(run["head_sha"]), now=deps.clock(), budget=budget, author=str(actor.get("login") or ""),
        pr_number=int(pull["number"]) if pull else None, run_url=str(run.get("html_url") or ""), trigger=trigger,
        deploy_workflow=deps.config.deploy.workflow if deps.config.deploy else "",
        acceptance_workflow=deps.config.acceptance.workflow if deps.config.acceptance else "",
        external=is_status_run(run),
    )


def _triaged(deps: Deps, session: Session, found: gitea.FailedRun) -> Session:
    result = found.triage
    _record(deps, session, found)
    return session.triaged(result.category.value, result.fingerprint, result.summary, result.excerpt, now=deps.clock())


def _decide(deps: Deps, session: Session, found: gitea.FailedRun, *, is_rerun: bool) -> Session:
    facts = Facts(
        category=effective_category(session.category, session.summary), fingerprint=session.fingerprint, base_branch=session.base_branch,
        base_broken=_base_broken(deps, session, found), history=_history(deps, session), has_model=deps.llm is not None,
        is_rerun=is_rerun or session.reruns > 0,
        rerun=_rerun_how(deps, session), can_fix=deps.phases.fix,
    )
    decision = decide(facts)
    session = session.decided(decision, now=deps.clock())
    if decision.kind is Kind.RERUN_FLAKY:
        session = _rerun(deps, session, decision.rerun)
    elif decision.kind in (Kind.FIX, Kind.CITE_KNOWN_FIX):
        deps.schedule("attempt", 0, key=session.key)
    return session


def _rerun_how(deps: Deps, session: Session) -> Rerun:
    if not deps.phases.rerun_flaky:
        return Rerun.OFF
    if session.external:
        return Rerun.EXTERNAL
    return gitea.rerun_capability(deps.forge, session.repo, session.workflow, session.sha)


def _base_broken(deps: Deps, session: Session, found: gitea.FailedRun) -> bool:
    if session.branch == session.base_branch:
        return False
    if session.external:
        head = str(deps.forge.get_branch(session.repo, session.base_branch)["commit"]["id"])
        base_run = external.current_status(deps.forge, session.repo, head, session.workflow, branch=session.base_branch)
    else:
        base_run = gitea.latest_completed(deps.forge, session.repo, session.base_branch, session.workflow)
    if base_run is None or base_run.get("conclusion") != "failure":
        return False
    try:
        base = deps.failed_run(session.repo, base_run)
    except LogUnavailable:
        return False
    return base is not None and same_failure(found.triage.fingerprint, found.triage.tokens,
                                             base.triage.fingerprint, base.triage.tokens)


def _history(deps: Deps, session: Session) -> tuple[PastFailure, ...]:
    if deps.ledger is None:
        return ()
    past = deps.ledger.history(session.repo, session.fingerprint)
    return tuple(PastFailure(p.outcome, p.outcome_detail, p.outcome == "flaky", p.outcome_detail if p.outcome == "fixed"
                             else "") for p in past if p.outcome and p.commit != session.sha)


def _rerun(deps: Deps, session: Session, how: Rerun) -> Session:
    if how is Rerun.API:
        deps.forge.rerun_failed_jobs(session.repo, session.run_id)
    else:
        deps.forge.dispatch_workflow(session.repo, session.workflow, session.branch)
    timeout = deps.config.wait_timeout_seconds
    session = session.wait_for(WaitKind.RERUN, workflow=session.workflow, sha=session.sha, now=deps.clock(),
                               timeout_s=timeout, branch=session.branch)
    deps.schedule("poll", deps.config.poll_interval_seconds, key=session.key, round_no=1)
    return session


# --- results ---------------------------------------------------------------------------------------


def _waiting_session(deps: Deps, repo: str, run: dict) -> str | None:
    branch = str(run.get("head_branch") or "")
    if branch.startswith("teabot/"):
        return deps.store.key_for_branch(repo, branch)
    return session_key(repo, str(run.get("head_sha") or ""), gitea.workflow_file(run))  # a re-run of the same commit


def _matches(session: Session, run: dict) -> bool:
    """Is `run` the one the session waits for? (Never the original failure, however late it is delivered.)"""
    wait = session.waiting_for
    assert wait is not None
    if gitea.workflow_file(run) != wait.workflow:
        return False
    if wait.kind is WaitKind.CI:
        return str(run.get("head_sha")) == wait.sha
    if wait.kind is WaitKind.RERUN:
        again = int(run["id"]) != session.run_id or int(run.get("run_attempt") or 0) > 1
        return str(run.get("head_sha")) == wait.sha and again
    return gitea.ended_after(run, wait.since)  # a deploy or acceptance run dispatched by this session


def _on_result(deps: Deps, session: Session, run: dict) -> Session:
    wait = session.waiting_for
    assert wait is not None
    passed, url, now = run.get("conclusion") == "success", str(run.get("html_url") or ""), deps.clock()
    session = session.run_found(int(run["id"]), url, now=now)
    if wait.kind is WaitKind.RERUN:
        session = session.rerun_result(passed, now=now, url=url)
        if session.state is State.TRIAGED:
            found = deps.failed_run(session.repo, run)
            if found is not None:
                return _decide(deps, session, found, is_rerun=True)
        return session
    if wait.kind is WaitKind.CI:
        return debug_fix.after_ci(deps, session, run, passed)
    session = session.stage_result(wait.kind, passed, now=now, url=url)
    return debug_fix.next_stage(deps, session)


def _timed_out(deps: Deps, session: Session) -> Session:
    now = deps.clock()
    note = f"no result for the {session.waiting_for.kind.value} run within {deps.config.wait_timeout_seconds} s"
    if session.waiting_for.kind is WaitKind.CI:
        session = session.record_result(Result.TIMEOUT, now=now, note=note)
        if session.state is State.FIXING:
            deps.schedule("attempt", 0, key=session.key)
    else:
        session = session.finish(State.FAILED, now=now, note=note)
    return session


# --- storage, ledger and the status comment ---------------------------------------------------------


def _load(deps: Deps, key: str) -> Session | None:
    data = deps.store.load(key)
    return None if data is None else Session.from_json(data)


def _save(deps: Deps, session: Session) -> Session:
    session = report(deps, session)
    _outcome(deps, session)
    deps.store.save(session.key, json.dumps(session.to_json()), repo=session.repo, branch=session.fix_branch or None)
    return session


def report(deps: Deps, session: Session) -> Session:
    """Create or edit the session's one status comment (on the failing PR, else the fix PR, else an issue)."""
    body = render_status(session, now=deps.clock())
    if session.comment_id is not None:
        deps.forge.edit_comment(session.repo, session.comment_id, body)
        return session
    number = session.pr_number or session.fix_pr or _report_issue(deps, session)
    comment = deps.forge.create_comment(session.repo, number, body)
    return session.with_ids(comment_id=int(comment["id"]))


def _report_issue(deps: Deps, session: Session) -> int:
    title = f"CI failure: {session.workflow} on {session.branch} ({session.sha[:7]})"
    issue = deps.forge.create_issue(session.repo, title, f"teabot is looking into {session.run_url or 'the failed run'}.")
    return int(issue["number"])


def _record(deps: Deps, session: Session, found: gitea.FailedRun) -> None:
    if deps.ledger is None:
        return
    deps.ledger.record(FailureRecord.from_triage(
        found.triage, repo=session.repo, run_id=session.run_id, raw_log=found.raw_log, job_id=found.job_id,
        workflow=session.workflow, branch=session.branch, commit=session.sha, trigger=session.trigger))


def _outcome(deps: Deps, session: Session) -> None:
    """Note a finished session's outcome in the ledger, so a recurring failure knows how it ended."""
    if deps.ledger is None or not session.done:
        return
    outcome = {State.GREEN: "flaky" if session.flaky else "fixed"}.get(session.state, session.state.value)
    last = session.attempts[-1].commit[:12] if session.attempts else ""
    detail = f"{session.fix_branch}@{last}" if session.fix_branch and last else session.outcome
    for past in deps.ledger.history(session.repo, session.fingerprint, limit=5):
        if past.commit == session.sha and not past.outcome:
            deps.ledger.set_outcome(past.id, outcome, detail)
