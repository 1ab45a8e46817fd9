"""The auto-debug agent: failed pipeline → triage → decide → fix loop → CI → deploy → acceptance → report.

Logic only; Gitea, the model, the session store, the ledger and the scheduler arrive in `Deps`.
Each public function is one step, run by one RQ job: `start` (a run failed), `on_run` and
`on_status` (a pipeline ended), `attempt` (one round of the fix loop) and `poll` (the fallback when
no webhook came). Gitea's JSON becomes typed values as it arrives; results are handled in
`results`, and what a session does next is decided by `core.machine` and taken by `driver`.
A session waiting for CI occupies no worker: it is stored, and a later step resumes it.
"""

from __future__ import annotations

import logging

from bot.debug import driver, gitea, results, sessions, teach
from bot.debug import external_logs as external
from bot.debug import fix as debug_fix
from bot.debug import sweep as failed_runs
from bot.debug.core.external import FAILED, is_external_result
from bot.debug.core.pipeline import PipelineResult, is_awaited
from bot.debug.core.records import State, WaitKind
from bot.debug.core.session import Session, TransitionError, session_key
from bot.debug.core.settings import watched
from bot.debug.deps import Deps
from bot.forge.errors import RunsListForbidden
from bot.forge.models import Pull, Reaction, Run, Status

log = logging.getLogger(__name__)
VOTES = {"+1": 1, "-1": -1}
WEBHOOKS = ("workflow_run", "workflow_job")  # triggers whose delivery the web process acknowledges


def start(deps: Deps, repo: str, run_id: int, *, trigger: str = "workflow_run") -> Session | None:
    """Open a session for a failed run (at most one per repo, commit and workflow) and act on it."""
    result = _run_result(deps, repo, run_id)
    session = results.start(deps, result, trigger=trigger)
    if trigger in WEBHOOKS:  # the web process may have marked the commit as being looked into
        results.settle(deps, result, session, trigger=trigger)
    return session


def on_run(deps: Deps, repo: str, run_id: int) -> Session | None:
    """A run ended: resume the session waiting for it; open one when it failed."""
    result = _run_result(deps, repo, run_id)
    session = results.handle(deps, result, trigger="workflow_run")
    results.settle(deps, result, session, trigger="workflow_run")
    return session


def on_status(deps: Deps, repo: str, status: dict[str, object]) -> Session | None:
    """A commit status from external CI: resume the session waiting for it, or open one when it failed.

    The log is read from the status's target_url only from allowed hosts; without it triage is
    skipped and the report says why.
    """
    found = Status.from_api(status)
    if not found.sha or not is_external_result(found, deps.bot_login):
        return None
    found = external.as_listed(deps.forge, repo, found)  # the API's id, as polls and sweeps see it
    # A passing status matters only on a fix commit, and every fix has its pull request: no branch listing.
    where = external.commit_branch(deps.forge, repo, found.sha, branches=found.state in FAILED)
    if where is None:
        log.info("status %s on %s: no branch has this commit at its head; ignored", found.context, found.sha[:7],
                 extra={"repo": repo})
        return None
    branch, pull = where
    result = PipelineResult.from_status(repo, found, branch=branch, author=pull.author if pull else "",
                                        bot_login=deps.bot_login)
    session = results.handle(deps, result, trigger="status")
    results.settle(deps, result, session, trigger="status")
    return session


def debug_pull(deps: Deps, repo: str, data: dict[str, object]) -> Session | str:
    """`/debug` on a pull request: a session for the latest failure of its head, or why there is none.

    The latest failed Actions run of the head branch, else a failed external status on the head commit.
    A session that has ended is started over; one still running is left alone.
    """
    pull = Pull.from_api(data)
    try:
        listed = gitea.runs(deps.forge, repo, branch=pull.head_ref)
    except RunsListForbidden:  # Gitea 1.25: only the owner or a site admin may list runs
        listed = None
    failed = next((run for run in listed or () if run.conclusion == "failure"), None)
    if failed is not None:
        session = start(deps, repo, failed.id, trigger="/debug")
    else:
        statuses = external.failed_statuses(deps.forge, repo, pull.head_sha, deps.bot_login, deps.config.external_ci.contexts)
        if not statuses and listed is None:
            return (f"No failed external status on `{pull.head_ref}`, and this Gitea lets only the repository owner "
                    "or a site admin list Actions runs, so teabot cannot look for a failed run here: a failed run "
                    "starts a session by itself through the workflow_run webhook (or make the bot a site admin, or "
                    "use Gitea 1.26 or newer).")
        if not statuses:
            return f"No failed run or failed external status on `{pull.head_ref}` to debug."
        result = PipelineResult.from_status(repo, statuses[0], branch=pull.head_ref, author=pull.author,
                                            bot_login=deps.bot_login)
        session = results.start(deps, result, trigger="/debug")
    if session is None:
        return (f"No new session for `{pull.head_ref}`: teabot is still working on this failure (see its status comment), "
                "or `debug.workflows` in `.gitea/teabot.yaml` leaves this workflow out.")
    return session


def attempt(deps: Deps, key: str) -> Session | None:
    """One round of the fix loop: the model proposes edits, the guard checks them, the fix is pushed."""
    with deps.store.lock(key):
        session = sessions.load(deps, key)
        if session is None or session.state is not State.FIXING:
            return session  # the session moved on since this round was queued
        if session.current is not None:  # a round is open: an earlier run of it may have pushed and died before saving
            pushed = debug_fix.pushed_before(deps, session)
            return session if pushed is None else sessions.save(deps, driver.advance(deps, pushed))
        try:
            session = session.start_attempt(now=deps.clock())
        except TransitionError:
            return sessions.save(deps, driver.advance(deps, session))  # the budget ran out since: the driver ends it
        session = sessions.save(deps, session)
        return sessions.save(deps, driver.advance(deps, debug_fix.run_attempt(deps, session)))


def poll(deps: Deps, key: str, round_no: int = 1) -> Session | None:
    """The fallback when no webhook arrives: look for the awaited run; give up after the wait deadline."""
    session = sessions.load(deps, key)
    if session is None or session.waiting_for is None:
        return session
    found = _awaited_candidates(deps, session)
    done = next((r for r in found or () if r.done and is_awaited(session.waiting_for, session.run_id, r)), None)
    if done is not None:
        return results.resume(deps, key, done) or sessions.load(deps, key)
    if found == [] and round_no == 1:  # None: the runs cannot be listed here, so nothing says none started
        _dispatch_missing_ci(deps, session)
    if not session.wait_expired(deps.clock()):
        return driver.advance(deps, session, round_no=round_no + 1)  # still waiting: the driver queues the next poll
    with deps.store.lock(key):
        session = sessions.load(deps, key)
        if session is None or session.waiting_for is None:
            return session
        moved = driver.advance(deps, session, round_no=round_no + 1)
        return moved if moved is session else sessions.save(deps, moved)


def _dispatch_missing_ci(deps: Deps, session: Session) -> None:
    """Dispatch the CI workflow when no push-triggered run came within one poll interval (it may skip teabot/ branches)."""
    wait = session.waiting_for
    if wait is None or wait.kind not in (WaitKind.CI, WaitKind.VERIFY) or session.external:
        return
    if gitea.dispatchable(deps.forge, session.repo, wait.workflow, wait.sha):
        log.info("no CI run for %s: dispatching %s on %s", wait.sha[:7], wait.workflow, wait.branch,
                 extra={"repo": session.repo})
        deps.forge.dispatch_workflow(session.repo, wait.workflow, wait.branch)


def _sweep_runs(deps: Deps, repo: str, limit: int) -> list[str]:
    """Open sessions for up to `limit` unknown failed runs; record the pass when none was left."""
    began = deps.clock()
    started: list[str] = []
    tried = left = 0
    try:
        for run in failed_runs.unknown_failures(deps, repo, failed_runs.since(deps, repo, began)):
            if tried >= limit:
                left += 1  # counted, not started: the pass stays unrecorded so the next one looks again
                continue
            tried += 1
            if start(deps, repo, run.id, trigger="sweep") is not None:
                started.append(session_key(repo, run.head_sha, run.workflow))
    except RunsListForbidden as exc:
        log.warning("sweep of %s skips Actions runs: %s", repo, exc, extra={"repo": repo})
        return started
    if left:
        log.info("sweep of %s looked at %d failed runs (the cap per pass); %d left for the next pass", repo, tried,
                 left, extra={"repo": repo})
    else:
        deps.store.mark_swept(repo, began)
    return started


def sweep(deps: Deps, repo: str, *, limit: int = 50) -> list[str]:
    """Start sessions for failed runs that have none (Gitea never re-sends a lost delivery).

    Reads every failed run since the last complete pass; `limit` caps the sessions one pass opens,
    and what it leaves is picked up by the next pass. Returns the keys of the sessions started.
    """
    started = _sweep_runs(deps, repo, limit)
    if watched(deps.config, ""):
        for pull, status in external.open_failures(deps.forge, repo, deps.bot_login, deps.config.external_ci.contexts):
            result = PipelineResult.from_status(repo, status, branch=pull.head_ref, author=pull.author,
                                                bot_login=deps.bot_login)
            if not result.own and results.start(deps, result, trigger="sweep"):
                started.append(session_key(repo, result.sha, result.workflow))
    collect_feedback(deps, repo)
    return started


def collect_feedback(deps: Deps, repo: str) -> int:
    """Record 👍/👎 on the bot's status comments in the ledger, as feedback on that diagnosis or fix.

    Gitea sends no webhook for reactions, so the sweep reads them; a user's vote is stored once and
    a changed vote replaces it. A 👍 also confirms the triage's lines as the failure's cause, so later
    triage of the repository ranks lines of their shapes first (once per user). Returns the votes seen.
    """
    if deps.ledger is None:
        return 0
    seen = 0
    for key in deps.store.keys(repo):
        session = sessions.load(deps, key)
        if session is None or session.comment_id is None:
            continue
        entry = teach.ledger_entry(deps, session)
        if entry is None:
            continue
        for reaction in map(Reaction.from_api, deps.forge.list_comment_reactions(repo, session.comment_id)):
            vote = VOTES.get(reaction.content)
            if vote and reaction.user and reaction.user.lower() != deps.bot_login.lower():
                deps.ledger.add_feedback(entry.id, vote, reaction.user)
                if vote > 0:
                    teach.confirm(deps, entry, reaction.user)
                seen += 1
    return seen


def _run_result(deps: Deps, repo: str, run_id: int) -> PipelineResult:
    """The run, read from Gitea, as a result (a pull_request run's branch found from its pull request)."""
    return gitea.run_result(deps.forge, repo, Run.from_api(deps.forge.get_run(repo, run_id)), deps.bot_login)


def _awaited_candidates(deps: Deps, session: Session) -> list[PipelineResult] | None:
    """The results that may be the one the session waits for: its workflow's runs or its context's status on the
    commit (None when Gitea 1.25 does not let the bot list runs: only the webhook can resume the session)."""
    wait = session.waiting_for
    assert wait is not None  # poll checked it
    if session.external and wait.kind in (WaitKind.CI, WaitKind.VERIFY):
        found = external.current_status(deps.forge, session.repo, wait.sha, wait.workflow, branch=wait.branch)
        return [found] if found else []
    try:
        listed = gitea.runs(deps.forge, session.repo, head_sha=wait.sha)
    except RunsListForbidden:
        return None
    return [PipelineResult.from_run(session.repo, run, bot_login=deps.bot_login, branch=wait.branch)
            for run in listed if run.workflow == wait.workflow]
