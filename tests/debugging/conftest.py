"""Sessions at the points of the loop that the debugging tests start from."""

from __future__ import annotations

from bot.debug.core.decide import Decision, Kind
from bot.config.budget import Budget
from bot.debug.core.records import Result
from bot.debug.core.session import Session, new_session

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
SHA = "0123456789abcdef0123456789abcdef01234567"
EXCERPT = (" 9 | E       assert -1 == 5\n10 | tests/test_calc.py:4: AssertionError\n"
           "11 | FAILED tests/test_calc.py::test_add - assert -1 == 5")


def opened(**details) -> Session:
    """A session just opened for a failed run of ci.yml on feature/add."""
    details = {"budget": Budget(attempts=3, tokens=50_000, minutes=30), "author": "alice", "pr_number": 5,
               "run_url": "http://gitea.test/alice/calc/actions/runs/12", **details}
    return new_session("alice/calc", ".gitea/workflows/ci.yml", run_id=88, run_number=12, branch="feature/add",
                       base_branch="main", sha=SHA, now=T0, **details)


def fixing(**details) -> Session:
    """Triaged as a test failure and decided to fix."""
    return (opened(**details).triaged("test", "fp1", "test: E assert -1 == 5", EXCERPT, now=T0 + 5)
            .decided(Decision(Kind.FIX, "a test failure in the code: proposing a fix"), now=T0 + 6))


def attempt(session: Session, result: Result, *, at: float, n_tokens: int = 4000, push: bool = True,
            note: str = "") -> Session:
    """Run one attempt through the loop: start, spend tokens, push and wait, record the result."""
    s = session.start_attempt(now=at).add_tokens(n_tokens)
    if push:
        n = len(s.attempts)
        s = s.wait_for_ci(f"c0ffee{n}".ljust(40, "0"), "teabot/fix/ci-12", now=at + 60, timeout_s=600)
        s = s.run_found(100 + n, f"http://gitea.test/alice/calc/actions/runs/{100 + n}", now=at + 70)
    return s.record_result(result, now=at + 180, note=note)

