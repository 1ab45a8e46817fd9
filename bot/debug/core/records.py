"""The values a debug session is made of: states, attempts, waits, stage results, budgets, events.

Times are seconds since the epoch (floats), passed in by the caller. Each value converts to and
from plain JSON (`to_json()` / `from_json()`), enums as their string values.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any

from bot.config.budget import Budget


class State(str, Enum):
    """Where a debug session stands."""

    COLLECTING = "collecting"
    TRIAGED = "triaged"
    RERUNNING = "rerunning"
    FIXING = "fixing"
    WAITING_CI = "waiting_ci"
    DEPLOYING = "deploying"
    ACCEPTING = "accepting"
    GREEN = "green"
    FAILED = "failed"
    BUDGET_EXHAUSTED = "budget_exhausted"
    BASE_BROKEN = "base_broken"
    REPORTED = "reported"


TERMINAL = frozenset({State.GREEN, State.FAILED, State.BUDGET_EXHAUSTED, State.BASE_BROKEN, State.REPORTED})


class Result(str, Enum):
    """How one attempt (or a deploy/acceptance run) ended."""

    PENDING = "pending"
    GREEN = "green"
    RED = "red"
    REJECTED = "rejected"    # the guard refused the edits; nothing was pushed
    NO_FIX = "no_fix"        # the model proposed no edit, or edits that do not apply
    TIMEOUT = "timeout"      # no result before the wait deadline
    ERROR = "error"
    CANCELLED = "cancelled"


class WaitKind(str, Enum):
    """What a session waits for."""

    CI = "ci"
    RERUN = "rerun"
    DEPLOY = "deploy"
    ACCEPTANCE = "acceptance"
    VERIFY = "verify"  # the fix with the failing commit's original tests put back: the run that decides


@dataclass(frozen=True)
class Attempt:
    """One round of the fix loop."""

    n: int
    started_at: float
    finished_at: float | None = None
    branch: str = ""
    commit: str = ""
    ci_url: str = ""
    result: Result = Result.PENDING
    duration_s: float | None = None
    tokens: int = 0
    note: str = ""
    verify_commit: str = ""  # the fix with the original tests restored (teabot/verify/…), when one was needed


@dataclass(frozen=True)
class Wait:
    """The run a session waits on, since when, and when to give up."""

    kind: WaitKind
    workflow: str
    sha: str
    since: float
    deadline: float
    branch: str = ""
    run_id: int | None = None
    url: str = ""


@dataclass(frozen=True)
class Stage:
    """The result of the deploy or acceptance workflow."""

    workflow: str
    result: Result
    finished_at: float
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the session's history."""

    at: float
    state: State
    note: str = ""


@dataclass(frozen=True)
class BudgetUse:
    """What is left of a budget; `exhausted` names the first cap reached ("" while none is)."""

    budget: Budget
    attempts_used: int
    tokens_used: int
    minutes_used: float

    @property
    def exhausted(self) -> str:
        """Which cap stops the session, as the status comment says it."""
        b = self.budget
        if self.attempts_used >= b.attempts:
            return f"attempt cap {self.attempts_used}/{b.attempts} reached"
        if self.tokens_used >= b.tokens:
            return f"token budget spent ({self.tokens_used:,}/{b.tokens:,} tokens)"
        if self.minutes_used >= b.minutes:
            return f"time budget spent ({math.floor(self.minutes_used)}/{b.minutes} minutes)"
        return ""


def to_json(value: Any) -> Any:
    """A record (or a tuple of them) as plain JSON values."""
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(value).items()}


def from_json(cls: type, data: Any) -> Any:
    """A record of type `cls` from `to_json` output; ValueError naming the type when it does not fit."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls)}
    values = {k: _ENUMS.get((cls.__name__, k), _same)(v) for k, v in data.items() if k in known}
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValueError(f"{cls.__name__}: {exc}") from None


def _same(value: Any) -> Any:
    return value


_ENUMS = {("Attempt", "result"): Result, ("Wait", "kind"): WaitKind, ("Stage", "result"): Result,
          ("HistoryEntry", "state"): State}
