"""The debug agent's one driver: asks `next_step` what a session does next and does it.

Every step of the agent ends here. Steps that change the session now (re-run, dispatch, time out,
finish) are taken at once and the machine is asked again; a fix round is queued as its own job, and
a wait is left to the result's webhook with a poll queued as the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.config.repo import WorkflowRef
from bot.debug.core.decide import Rerun
from bot.debug.core.machine import Next, Move, next_step
from bot.debug.core.records import Result, State, WaitKind
from bot.debug.core.session import Session
from bot.debug.deps import Deps
from bot.debug.facts import rerun_how
from bot.debug.gitea import dispatched_since

log = logging.getLogger(__name__)


def advance(deps: Deps, session: Session, *, round_no: int = 1) -> Session:
    """Take the session's steps until it waits for a job, a webhook or nothing; `round_no` numbers the next poll."""
    while True:
        step = next_step(session, now=deps.clock(), poll_s=deps.config.poll_interval_seconds)
        if step.step is Move.ATTEMPT:
            deps.schedule("attempt", 0, key=session.key)
            return session
        if step.step is Move.WAIT:
            deps.schedule("poll", step.delay, key=session.key, round_no=round_no)
            return session
        if step.step in (Move.HOLD, Move.DONE):
            return session
        session, round_no = _TAKE[step.step](deps, session, step), 1


def _rerun(deps: Deps, session: Session, step: Next) -> Session:
    """Re-run the failed run once (the rerun API, else a workflow_dispatch) and wait for it.

    A re-run by the API makes the run pending again, so a job run again after a crash finds no failure
    to start from; a dispatch makes a new run, which such a job looks for before dispatching again."""
    if rerun_how(deps, session) is Rerun.API:
        deps.forge.rerun_failed_jobs(session.repo, session.run_id)
    elif not (deps.again and dispatched_since(deps.forge, session.repo, session.workflow, session.sha, deps.bot_login,
                                              after=session.run_id)):
        deps.forge.dispatch_workflow(session.repo, session.workflow, session.branch)
    return session.wait_for(WaitKind.RERUN, workflow=session.workflow, sha=session.sha, now=deps.clock(),
                            timeout_s=deps.config.wait_timeout_seconds, branch=session.branch)


def _deploy(deps: Deps, session: Session, step: Next) -> Session:
    return _dispatch(deps, session, WaitKind.DEPLOY, deps.config.deploy)


def _acceptance(deps: Deps, session: Session, step: Next) -> Session:
    return _dispatch(deps, session, WaitKind.ACCEPTANCE, deps.config.acceptance)


def _dispatch(deps: Deps, session: Session, kind: WaitKind, ref: WorkflowRef | None) -> Session:
    """Dispatch the deploy or acceptance workflow on its ref (else the fix branch) and wait for it."""
    if ref is None:  # the repo config lost the stage since the session reached it
        return session.finish(State.FAILED, now=deps.clock(), note=f"no {kind.value} workflow is configured any more")
    target = ref.ref or session.fix_branch or session.branch
    head = session.attempts[-1].commit if session.attempts else session.sha
    if not (deps.again and dispatched_since(deps.forge, session.repo, ref.workflow, head, deps.bot_login,
                                            after=session.run_id)):
        deps.forge.dispatch_workflow(session.repo, ref.workflow, target, ref.inputs)
    return session.wait_for(kind, workflow=ref.workflow, sha=head, now=deps.clock(),
                            timeout_s=deps.config.wait_timeout_seconds, branch=target)


def _time_out(deps: Deps, session: Session, step: Next) -> Session:
    """No result before the wait's deadline: a fix's CI counts as a failed round, anything else ends the session."""
    wait = session.waiting_for
    assert wait is not None  # next_step says TIME_OUT only while waiting
    note = f"no result for the {wait.kind.value} run within {deps.config.wait_timeout_seconds} s"
    if wait.kind in (WaitKind.CI, WaitKind.VERIFY):
        return session.record_result(Result.TIMEOUT, now=deps.clock(), note=note)
    return session.finish(State.FAILED, now=deps.clock(), note=note)


def _finish(deps: Deps, session: Session, step: Next) -> Session:
    assert step.outcome is not None  # next_step gives FINISH an outcome
    return session.finish(step.outcome, now=deps.clock(), note=step.note)


_TAKE: dict[Move, Callable[[Deps, Session, Next], Session]] = {
    Move.RERUN: _rerun, Move.DEPLOY: _deploy, Move.ACCEPTANCE: _acceptance, Move.TIME_OUT: _time_out,
    Move.FINISH: _finish,
}
