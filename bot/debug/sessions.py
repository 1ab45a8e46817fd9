"""Sessions kept between steps: loaded from the store, saved with their status comment, commit status and ledger outcome."""

from __future__ import annotations

import json
import logging

from bot.debug.core.records import State
from bot.debug.core.report import STATUS_CONTEXT, commit_status, render_status
from bot.debug.core.session import Session
from bot.debug.deps import Deps
from bot.debug.gitea import FailedRun
from bot.debug.ledger import FailureRecord
from bot.forge.errors import ForgeError
from bot.forge.models import Comment, Issue
from bot.redact import redact

log = logging.getLogger(__name__)


def load(deps: Deps, key: str) -> Session | None:
    """The stored session, or None."""
    data = deps.store.load(key)
    return None if data is None else Session.from_json(data)


def save(deps: Deps, session: Session) -> Session:
    """Report the session on Gitea, note its outcome in the ledger and store it."""
    session = report(deps, session)
    _outcome(deps, session)
    deps.store.save(session.key, json.dumps(session.to_json()), repo=session.repo, branch=session.fix_branch or None,
                    commits=session.bot_commits)
    return session


def report(deps: Deps, session: Session) -> Session:
    """Create or edit the session's one status comment (on the failing PR, else the fix PR, else an issue)."""
    body = redact(render_status(session, now=deps.clock()))  # everything that leaves is redacted
    if session.comment_id is not None:
        deps.forge.edit_comment(session.repo, session.comment_id, body)
        return mark_commit(deps, session)
    number = session.pr_number or session.fix_pr or _report_issue(deps, session)
    comment = Comment.from_api(deps.forge.create_comment(session.repo, number, body))
    return mark_commit(deps, session.with_ids(comment_id=comment.id, comment_url=comment.html_url))


def mark_commit(deps: Deps, session: Session) -> Session:
    """Set the failed commit's `teabot/debug` status to where the session stands, when that changed.

    It replaces the web process's "looking into it" acknowledgement, links to the status comment and
    ends as the outcome. A status Gitea refuses is logged: the comment is the report that counts.
    """
    state, description = commit_status(session)
    posted = f"{state}|{description}"
    if posted == session.commit_status:
        return session
    try:
        deps.forge.create_status(session.repo, session.sha, state, STATUS_CONTEXT, redact(description),
                                 target_url=session.comment_url or session.run_url)
    except ForgeError as exc:
        log.warning("%s: could not set the %s status: %s", session.key, STATUS_CONTEXT, exc, extra={"repo": session.repo})
        return session
    return session.with_commit_status(posted)


def _report_issue(deps: Deps, session: Session) -> int:
    title = f"CI failure: {session.workflow} on {session.branch} ({session.sha[:7]})"
    issue = deps.forge.create_issue(session.repo, redact(title), f"teabot is looking into {session.run_url or 'the failed run'}.")
    return Issue.from_api(issue).number


def record(deps: Deps, session: Session, found: FailedRun) -> None:
    """Put the failure in the ledger."""
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
