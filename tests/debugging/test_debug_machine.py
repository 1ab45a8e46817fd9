"""What a session does next: `next_step` over every kind of session state."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.debug.core.decide import Decision, Kind
from bot.debug.core.machine import Next, Move, next_step
from bot.config.budget import Budget
from bot.debug.core.records import Result, State, WaitKind
from bot.debug.core.session import Session
from tests.debugging.conftest import SHA, T0, attempt, fixing, opened

POLL = 30.0


def decided(kind: Kind) -> Session:
    return opened().triaged("infra", "fp", "network", now=T0 + 1).decided(Decision(kind, "why"), now=T0 + 2)


def waiting_ci() -> Session:
    return fixing().start_attempt(now=T0 + 10).wait_for_ci("c" * 40, "teabot/fix/ci-12", now=T0 + 20, timeout_s=600)


def rerunning_and_waiting() -> Session:
    return decided(Kind.RERUN_FLAKY).wait_for(WaitKind.RERUN, workflow="ci.yml", sha=SHA, now=T0 + 3, timeout_s=600)


def deploying() -> Session:
    return attempt(fixing(deploy_workflow="deploy.yml", acceptance_workflow="accept.yml"), Result.GREEN, at=T0 + 10)


def accepting() -> Session:
    session = deploying().wait_for(WaitKind.DEPLOY, workflow="deploy.yml", sha=SHA, now=T0 + 300, timeout_s=600)
    return session.stage_result(WaitKind.DEPLOY, True, now=T0 + 400)


CASES: list[tuple[str, Callable[[], Session], float, Next]] = [
    ("collecting: triage comes with the log", opened, T0, Next(Move.HOLD)),
    ("triaged: the decision comes with the log", lambda: opened().triaged("test", "fp", "s", now=T0), T0, Next(Move.HOLD)),
    ("reported", lambda: decided(Kind.REPORT_ONLY), T0 + 5, Next(Move.DONE)),
    ("base broken", lambda: decided(Kind.BASE_BROKEN), T0 + 5, Next(Move.DONE)),
    ("decided to fix", fixing, T0 + 10, Next(Move.ATTEMPT)),
    ("citing a known fix", lambda: decided(Kind.CITE_KNOWN_FIX), T0 + 10, Next(Move.ATTEMPT)),
    ("an attempt is running", lambda: fixing().start_attempt(now=T0 + 10), T0 + 11, Next(Move.HOLD)),
    ("a round was rejected", lambda: attempt(fixing(), Result.REJECTED, at=T0 + 10, push=False), T0 + 200,
     Next(Move.ATTEMPT)),
    ("red CI with budget left", lambda: attempt(fixing(), Result.RED, at=T0 + 10), T0 + 200, Next(Move.ATTEMPT)),
    ("the minutes ran out since the last round", lambda: attempt(fixing(), Result.RED, at=T0 + 10), T0 + 31 * 60,
     Next(Move.FINISH, outcome=State.BUDGET_EXHAUSTED, note="time budget spent (31/30 minutes)")),
    ("waiting for CI", waiting_ci, T0 + 30, Next(Move.WAIT, delay=POLL)),
    ("waiting for CI past the deadline", waiting_ci, T0 + 620, Next(Move.TIME_OUT)),
    ("decided to re-run", lambda: decided(Kind.RERUN_FLAKY), T0 + 3, Next(Move.RERUN)),
    ("waiting for the re-run", rerunning_and_waiting, T0 + 10, Next(Move.WAIT, delay=POLL)),
    ("the re-run is late", rerunning_and_waiting, T0 + 603, Next(Move.TIME_OUT)),
    ("green: deploy next", deploying, T0 + 200, Next(Move.DEPLOY)),
    ("deployed: acceptance next", accepting, T0 + 400, Next(Move.ACCEPTANCE)),
    ("green and nothing else to run", lambda: attempt(fixing(), Result.GREEN, at=T0 + 10), T0 + 200, Next(Move.DONE)),
    ("budget of attempts spent", lambda: attempt(fixing(budget=Budget(attempts=1)), Result.RED, at=T0 + 10), T0 + 200,
     Next(Move.DONE)),
    ("finished by hand", lambda: fixing().finish(State.FAILED, now=T0 + 20, note="stop"), T0 + 30, Next(Move.DONE)),
]


@pytest.mark.parametrize("session, now, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_next_step(session: Callable[[], Session], now: float, expected: Next) -> None:
    assert next_step(session(), now=now, poll_s=POLL) == expected


def test_a_zero_attempt_budget_finishes_before_any_round() -> None:
    session = fixing(budget=Budget(attempts=0))
    step = next_step(session, now=T0 + 10, poll_s=POLL)
    assert step.step is Move.FINISH and step.outcome is State.BUDGET_EXHAUSTED and "attempt" in step.note


def test_every_step_of_the_table_is_reached() -> None:
    reached = {c[3].step for c in CASES}
    assert reached == set(Move)
