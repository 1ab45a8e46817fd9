"""What a debug session does next, decided from the session alone.  PURE.

`Session` (session.py) holds the states and their transitions; `next_step` reads a session and
names the one step that moves it on. The agent calls it in one place (`bot.debug.driver.advance`),
which takes the step and asks again until the session waits for a job, a webhook or nothing:

    state (and wait)               next step
    ended                          DONE
    waiting, deadline passed       TIME_OUT     record a timeout (CI) or fail (re-run, deploy, acceptance)
    waiting                        WAIT         for the result's webhook; poll after `poll_s` as the fallback
                                                (a fix's CI, then, when the fix touched tests or CI, its
                                                VERIFY run with the original tests restored)
    FIXING, an attempt is open     HOLD         the attempt's job is running
    FIXING, budget spent           FINISH       as BUDGET_EXHAUSTED
    FIXING                         ATTEMPT      queue the next round of the fix loop
    RERUNNING                      RERUN        re-run the failed run once
    DEPLOYING / ACCEPTING          DEPLOY / ACCEPTANCE   dispatch that workflow
    COLLECTING / TRIAGED           HOLD         triage and the decision come with the failure's log
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.debug.core.records import State
from bot.debug.core.session import Session


class Move(str, Enum):
    """The next thing to do for a session."""

    ATTEMPT = "attempt"
    RERUN = "rerun"
    DEPLOY = "deploy"
    ACCEPTANCE = "acceptance"
    WAIT = "wait"
    TIME_OUT = "time_out"
    FINISH = "finish"
    HOLD = "hold"
    DONE = "done"


@dataclass(frozen=True)
class Next:
    """A step, with its delay (WAIT) or its outcome and note (FINISH)."""

    step: Move
    delay: float = 0.0
    outcome: State | None = None
    note: str = ""


_DISPATCH = {State.RERUNNING: Move.RERUN, State.DEPLOYING: Move.DEPLOY, State.ACCEPTING: Move.ACCEPTANCE}


def next_step(session: Session, *, now: float, poll_s: float) -> Next:
    """The one step that moves `session` on at `now` (see the table in the module docstring)."""
    if session.done:
        return Next(Move.DONE)
    if session.waiting_for is not None:
        return Next(Move.TIME_OUT) if session.wait_expired(now) else Next(Move.WAIT, delay=poll_s)
    if session.state is State.FIXING:
        return _fixing(session, now)
    return Next(_DISPATCH.get(session.state, Move.HOLD))


def _fixing(session: Session, now: float) -> Next:
    if session.current is not None:
        return Next(Move.HOLD)
    exhausted = session.budget_left(now).exhausted
    if exhausted:
        return Next(Move.FINISH, outcome=State.BUDGET_EXHAUSTED, note=exhausted)
    return Next(Move.ATTEMPT)
