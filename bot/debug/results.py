"""Pipeline results — a Gitea Actions run or an external CI's status — and what they do to debug sessions.

Every result goes through `handle`: it resumes the session waiting for it, or, when it failed and
no session has it, opens one (at most one per repo, commit and workflow). `start` opens one without
looking for a waiting session (`/debug`, the sweep, a failed job); `resume` is the poll's way in.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.debug import driver, facts, sessions, verify
from bot.debug.core.commits import is_bot_branch
from bot.debug.core.external import LogUnavailable
from bot.debug.core.external import latest
from bot.debug.core.pipeline import PipelineResult, is_awaited
from bot.debug.core.settings import left_out
from bot.debug.core.report import ACK_DESCRIPTION, STATUS_CONTEXT
from bot.config.budget import Budget
from bot.debug.core.records import Result, State, WaitKind
from bot.debug.core.session import Session, new_session, session_key
from bot.debug.deps import Deps
from bot.debug.gitea import FailedRun
from bot.forge.errors import ForgeError
from bot.forge.models import Pull, Repository, Status

log = logging.getLogger(__name__)
NO_LOG = ("no log to triage, so nothing was diagnosed or pushed; once the log can be read, `/debug` on the "
          "pull request starts over")


def handle(deps: Deps, result: PipelineResult, *, trigger: str) -> Session | None:
    """The session `result` resumed or opened; None when it changed none."""
    key = _session_for(deps, result)
    if key is not None and deps.store.load(key) is not None:
        return resume(deps, key, result)  # a session has this commit: a result never opens a second one
    return start(deps, result, trigger=trigger)


def resume(deps: Deps, key: str, result: PipelineResult) -> Session | None:
    """Record `result` in session `key` when the session waits for it, and take the next step."""
    if not result.done:
        return None
    with deps.store.lock(key):
        session = sessions.load(deps, key)
        if session is None or session.waiting_for is None or not is_awaited(session.waiting_for, session.run_id, result):
            return None
        return sessions.save(deps, driver.advance(deps, _on_result(deps, session, result)))


def start(deps: Deps, result: PipelineResult, *, trigger: str) -> Session | None:
    """Open a session for a failed result and act on it; None when it is not wanted or already has one."""
    if not _wanted(deps, result, trigger):
        return None
    key = session_key(result.repo, result.sha, result.workflow)
    with deps.store.lock(key):
        if _taken(deps, key, trigger):
            return None  # one failing run starts one session, however many jobs or deliveries say so
        try:
            found = deps.failed_run(result.repo, result)
        except LogUnavailable as exc:
            log.info("%s: triage skipped: %s", key, exc, extra={"repo": result.repo})
            session = replace(_open(deps, result, trigger), reason=f"triage skipped: {exc}")
            return sessions.save(deps, session.finish(State.REPORTED, now=deps.clock(), note=NO_LOG))
        if found is None:
            return None
        session = _triaged(deps, _open(deps, result, trigger), found)
        # A failed job on its second try was re-run already (by an earlier try of this job that died, or a person).
        return sessions.save(deps, driver.advance(deps, facts.decided(deps, session, found, is_rerun=found.attempt > 1)))


def settle(deps: Deps, result: PipelineResult, session: Session | None, *, trigger: str) -> None:
    """Settle the "looking into it" status the web process set on a failed commit that `session` does not report on.

    A session of that commit sets the status itself; otherwise the status says who handles the failure
    (the session whose fix this commit is, or one that had it already) or why nothing does.
    """
    if not result.failed or not result.sha or (session is not None and session.sha == result.sha):
        return
    try:
        found = latest((Status.from_api(s) for s in deps.forge.list_statuses(result.repo, result.sha)), STATUS_CONTEXT)
        if found is None or found.state != "pending" or found.description != ACK_DESCRIPTION:
            return
        owner = session or sessions.load(deps, session_key(result.repo, result.sha, result.workflow))
        if owner is not None and owner.sha == result.sha:
            sessions.mark_commit(deps, owner.with_commit_status(""))  # set again: the acknowledgement came after its own
            return
        if owner is not None:
            text, url = f"teabot: handled by the debug session of {owner.sha[:7]}", owner.comment_url or owner.run_url
        else:
            text, url = f"teabot: not debugged: {not_started(deps, result, trigger)}", result.url
        deps.forge.create_status(result.repo, result.sha, "success", STATUS_CONTEXT, text[:140], target_url=url)
    except ForgeError as exc:
        log.warning("could not settle the %s status of %s: %s", STATUS_CONTEXT, result.sha[:7], exc,
                    extra={"repo": result.repo})


def not_started(deps: Deps, result: PipelineResult, trigger: str) -> str:
    """Why a failed result opened no session (for the commit status that said teabot was looking into it)."""
    if result.own or deps.store.key_for_commit(result.repo, result.sha):
        return "the bot's own fix; its session reports on the commit that failed first"
    if not result.branch:
        return "no open pull request has this commit at its head"
    return left_out(deps.config, result.workflow, external=result.external, trigger=trigger) or "no failed job to triage"


def _session_for(deps: Deps, result: PipelineResult) -> str | None:
    """The key of the session a result belongs to: by fix branch, by fix commit, else a re-run of its commit."""
    if is_bot_branch(result.branch):  # a fix branch, or a verification branch known by its commit
        return deps.store.key_for_branch(result.repo, result.branch) or deps.store.key_for_commit(result.repo, result.sha)
    return deps.store.key_for_commit(result.repo, result.sha) or session_key(result.repo, result.sha, result.workflow)


def _wanted(deps: Deps, result: PipelineResult, trigger: str) -> bool:
    """Should this result open a session? Only a failure that is not the bot's own work, on a known branch, that
    the repository's settings let in."""
    if not result.failed or result.own or deps.store.key_for_commit(result.repo, result.sha):
        return False  # the bot's fix branch, a run it started, or one of its fix commits: the session handles those
    if not result.branch:
        log.info("%s on %s: no open pull request has this commit at its head; ignored", result.workflow,
                 result.sha[:7], extra={"repo": result.repo})
        return False
    return not left_out(deps.config, result.workflow, external=result.external, trigger=trigger)


def _taken(deps: Deps, key: str, trigger: str) -> bool:
    """Is there a session for `key` already? `/debug` may start over once the earlier one has ended."""
    existing = sessions.load(deps, key)
    return existing is not None and not (trigger == "/debug" and existing.done)


def _open(deps: Deps, result: PipelineResult, trigger: str) -> Session:
    base = Repository.from_api(deps.forge.get_repo(result.repo)).default_branch or "main"
    found = deps.forge.find_pull(result.repo, head=result.branch)
    pull = Pull.from_api(found) if found is not None else None
    config = deps.config
    budget = Budget(config.budget.attempts, config.budget.tokens, config.budget.minutes)
    return new_session(
        result.repo, result.workflow, run_id=result.run_id, run_number=result.run_number, branch=result.branch,
        base_branch=(pull.base_ref if pull else "") or base, sha=result.sha, now=deps.clock(), budget=budget,
        author=result.author, pr_number=pull.number if pull else None, run_url=result.url, trigger=trigger,
        deploy_workflow=config.deploy.workflow if config.deploy else "",
        acceptance_workflow=config.acceptance.workflow if config.acceptance else "", external=result.external,
    )


def _triaged(deps: Deps, session: Session, found: FailedRun) -> Session:
    result = found.triage
    sessions.record(deps, session, found)
    return session.triaged(result.category.value, result.fingerprint, result.summary, result.excerpt, now=deps.clock())


def _on_result(deps: Deps, session: Session, result: PipelineResult) -> Session:
    wait = session.waiting_for
    assert wait is not None  # resume checked it
    now = deps.clock()
    session = session.run_found(result.run_id, result.url, now=now)
    if wait.kind is WaitKind.RERUN:
        session = session.rerun_result(result.passed, now=now, url=result.url)
        found = deps.failed_run(session.repo, result) if session.state is State.TRIAGED else None
        return session if found is None else facts.decided(deps, session, found, is_rerun=True)
    if wait.kind is WaitKind.CI:
        return _after_ci(deps, session, result)
    if wait.kind is WaitKind.VERIFY:
        return _after_verification(deps, session, result)
    return session.stage_result(wait.kind, result.passed, now=now, url=result.url)


def _after_ci(deps: Deps, session: Session, result: PipelineResult) -> Session:
    """The fix's CI ended: green closes the round (or, when the fix touched tests or CI, starts the run with the
    original tests); red is triaged so that the next round knows why."""
    now = deps.clock()
    if result.passed:
        restore = verify.to_restore(deps, session, result.sha)
        if not restore:
            return session.record_result(Result.GREEN, now=now, ci_url=result.url)
        branch, commit = verify.push_verification(deps, session, result.sha, restore)
        return session.wait_for_verification(commit, branch, now=now, timeout_s=deps.config.wait_timeout_seconds)
    return _red(deps, session, result)


def _after_verification(deps: Deps, session: Session, result: PipelineResult) -> Session:
    """The run with the original tests ended: only its green counts as fixed."""
    if result.passed:
        return session.record_result(Result.GREEN, now=deps.clock(), ci_url=result.url)
    return _red(deps, session, result, "green only with its own test or CI changes; the original tests still fail")


def _red(deps: Deps, session: Session, result: PipelineResult, why: str = "") -> Session:
    """A red run closes the round (`why` says what it means); it is triaged so that the next round knows why."""
    now = deps.clock()
    try:
        found = deps.failed_run(session.repo, result)
        note = found.triage.summary if found else "CI failed"
    except LogUnavailable as exc:
        found, note = None, f"CI failed; triage skipped: {exc}"
    session = session.record_result(Result.RED, now=now, note=f"{why}: {note}" if why else note, ci_url=result.url)
    if found is not None and session.state is State.FIXING:
        t = found.triage
        session = session.triaged(t.category.value, t.fingerprint, t.summary, t.excerpt, now=now)
    return session
