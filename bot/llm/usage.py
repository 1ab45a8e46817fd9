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


class TokenMeter:
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
        return f"TokenMeter(limit={self.limit!r}, used={self.used})"


@dataclass(frozen=True)
class DailyCaps:
    """Model calls allowed per UTC day, per repository and per user (0 = no cap)."""

    per_repo: int
    per_user: int

    def refusal(self, *, repo: str, user: str, repo_calls: int, user_calls: int) -> str:
        """Why one more model call today is refused ("" when it is allowed): a message for the comment."""
        if self.per_repo and repo_calls >= self.per_repo:
            return (f"{repo} has used its {self.per_repo} model calls for today (UTC); teabot answers again "
                    "tomorrow, or a maintainer raises limits.repo_daily_calls in .gitea/teabot.yaml")
        if self.per_user and user and user_calls >= self.per_user:
            return (f"@\u2060{user} has used their {self.per_user} model calls in {repo} for today (UTC); "
                    "try again tomorrow, or ask a maintainer to raise limits.user_daily_calls")
        return ""


def day_keys(repo: str, user: str, day: str) -> tuple[str, str]:
    """The counter keys of one UTC day (`day` as YYYY-MM-DD) for the repository and the user in it."""
    return f"teabot:calls:{day}:{repo.lower()}", f"teabot:calls:{day}:{repo.lower()}:{user.lower()}"
