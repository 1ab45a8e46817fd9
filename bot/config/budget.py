"""The one budget type: what a session (or a playbook step) may spend — attempts, model tokens, minutes.  PURE.

`.gitea/teabot.yaml`'s `debug.budget` (validated as `BudgetSettings`) and a playbook's `budgets`
(`BudgetOverrides`, where unset means the default) both end up as a `Budget`; a debug session carries
one, and `refusal` is checked before every model call, so the budget holds over all its attempts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """Caps on one session: attempts, model tokens, wall minutes."""

    attempts: int = 3
    tokens: int = 200_000
    minutes: float = 30

    def refusal(self, *, tokens_used: int, attempts_started: int, minutes_elapsed: float, needed: int = 0) -> str:
        """Why the next model call may not be made ("" when it may); check before EVERY call."""
        if tokens_used + needed >= self.tokens:
            return f"the session's token budget of {self.tokens} is spent ({tokens_used} used)"
        if attempts_started > self.attempts:
            return f"the session's {self.attempts} attempts are used"
        if minutes_elapsed >= self.minutes:
            return f"the session's {self.minutes:g} minutes are over ({minutes_elapsed:.1f} elapsed)"
        return ""
