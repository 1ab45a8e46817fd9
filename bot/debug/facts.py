"""The facts a triaged failure is decided on, gathered from Gitea and the ledger, and the decision taken."""

from __future__ import annotations

from bot.debug import external_logs as external
from bot.debug import gitea
from bot.debug.trust import untrusted
from bot.debug.core.decide import Facts, PastFailure, Rerun, decide, effective_category, same_failure
from bot.debug.core.external import LogUnavailable
from bot.debug.core.session import Session
from bot.debug.deps import Deps
from bot.forge.models import Branch


def decided(deps: Deps, session: Session, found: gitea.FailedRun, *, is_rerun: bool) -> Session:
    """The triaged session, decided: report, re-run or fix (the driver takes the step that follows)."""
    facts = Facts(
        category=effective_category(session.category, session.summary), fingerprint=session.fingerprint,
        base_branch=session.base_branch, base_broken=_base_broken(deps, session, found), history=_history(deps, session),
        has_model=deps.llm is not None, is_rerun=is_rerun or session.reruns > 0, rerun=rerun_how(deps, session),
        can_fix=deps.phases.fix, untrusted=untrusted(deps, session),
    )
    return session.decided(decide(facts), now=deps.clock())


def rerun_how(deps: Deps, session: Session) -> Rerun:
    """How the session's failed run can be run again (OFF when the playbook turns re-runs off)."""
    if not deps.phases.rerun_flaky:
        return Rerun.OFF
    if session.external:
        return Rerun.EXTERNAL
    return gitea.rerun_capability(deps.forge, session.repo, session.workflow, session.sha)


def _base_broken(deps: Deps, session: Session, found: gitea.FailedRun) -> bool:
    if session.branch == session.base_branch:
        return False
    if session.external:
        head = Branch.from_api(deps.forge.get_branch(session.repo, session.base_branch)).sha
        base_run = external.current_status(deps.forge, session.repo, head, session.workflow, branch=session.base_branch)
    else:
        run = gitea.latest_completed(deps.forge, session.repo, session.base_branch, session.workflow)
        base_run = None if run is None else gitea.run_result(deps.forge, session.repo, run, deps.bot_login)
    if base_run is None or not base_run.failed:
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
