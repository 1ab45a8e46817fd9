"""Token usage of model calls and the per-job token budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.llm.errors import LLMBudgetExceeded


@dataclass(frozen=True)
class Usage:
    """Tokens one call consumed; `estimated` is True when the server did not report them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


def estimate_tokens(text: str) -> int:
    """A rough token count (one token per four characters) for servers that omit `usage`."""
    return math.ceil(len(text) / 4)


class TokenBudget:
    """Tokens a job may still spend on the model; `limit=None` means unlimited."""

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"token budget must not be negative, got {limit}")
        self.limit = limit
        self.used = 0

    @property
    def remaining(self) -> int | None:
        """Tokens left, never below zero; None when unlimited."""
        return None if self.limit is None else max(self.limit - self.used, 0)

    def charge(self, usage: Usage) -> None:
        """Count the tokens of a finished call against the budget."""
        self.used += usage.total_tokens

    def check(self, needed: int = 0) -> None:
        """Raise LLMBudgetExceeded when the budget is spent or cannot cover `needed` more tokens."""
        remaining = self.remaining
        if remaining is None:
            return
        if remaining <= 0 or needed > remaining:
            raise LLMBudgetExceeded(
                f"token budget of {self.limit} exhausted: {self.used} used, {needed} more needed; "
                "raise the job's token budget in .gitea/teabot.yaml to allow more model calls"
            )

    def __repr__(self) -> str:
        return f"TokenBudget(limit={self.limit!r}, used={self.used})"
