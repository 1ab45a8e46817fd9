"""Daily model-call caps per repository and per user, counted in Redis (or in this process without Redis).

Every model call a job makes goes through `CappedLLM`, which asks `DailyCaps.refusal` first and
counts the call after: INCR on the day's two counters (`bot.llm.usage.day_keys`) with an EXPIREAT
at the end of the UTC day, so the counters clean themselves up. Jobs also ask `refusal` before
they start, to answer a capped command with a clear comment instead of a failure.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import redis

from bot.config.repo import Limits
from bot.llm.client import LLM
from bot.llm.errors import LLMBudgetExceeded
from bot.llm.reply import Reply
from bot.llm.usage import DailyCaps, day_keys

_memory: Counter[str] = Counter()  # the counters of a process without Redis
_lock = threading.Lock()


class DailyCapReached(LLMBudgetExceeded):
    """The repository or the user has used today's model calls."""


class CallCounter:
    """Today's model calls of one repository and one user in it."""

    def __init__(self, conn: redis.Redis | None, repo: str, user: str, caps: DailyCaps,
                 now: datetime | None = None) -> None:
        self.conn, self.repo, self.user, self.caps = conn, repo, user, caps
        self.now = now or datetime.now(timezone.utc)
        self.keys = day_keys(repo, user, self.now.strftime("%Y-%m-%d"))

    @classmethod
    def for_limits(cls, conn: redis.Redis | None, repo: str, user: str, limits: Limits) -> CallCounter:
        """The counter for `.gitea/teabot.yaml`'s `limits:`."""
        return cls(conn, repo, user, DailyCaps(limits.repo_daily_calls, limits.user_daily_calls))

    def refusal(self) -> str:
        """Why one more model call today is refused ("" when it is allowed)."""
        repo_calls, user_calls = self._read()
        return self.caps.refusal(repo=self.repo, user=self.user, repo_calls=repo_calls, user_calls=user_calls)

    def count(self) -> None:
        """Count one model call against today's counters."""
        if self.conn is None:
            with _lock:
                _memory.update(self.keys)
            return
        midnight = (self.now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        pipe = self.conn.pipeline()
        for key in self.keys:
            pipe.incr(key)
            pipe.expireat(key, int(midnight.timestamp()) + 3600)  # an hour of slack for clock skew between hosts
        pipe.execute()

    def _read(self) -> tuple[int, int]:
        if self.conn is None:
            with _lock:
                return _memory[self.keys[0]], _memory[self.keys[1]]
        values = self.conn.mget(self.keys)
        return int(values[0] or 0), int(values[1] or 0)


class CappedLLM:
    """A model client whose every call is checked against and counted in the day's caps."""

    def __init__(self, llm: LLM, counter: CallCounter) -> None:
        self.llm, self.counter = llm, counter

    def complete(self, messages: list[dict[str, Any]], **options: Any) -> Reply:
        """The wrapped client's reply; DailyCapReached when today's calls are used."""
        why = self.counter.refusal()
        if why:
            raise DailyCapReached(why)
        self.counter.count()
        return self.llm.complete(messages, **options)


def capped(llm: LLM | None, counter: CallCounter) -> LLM | None:
    """`llm` behind the day's caps (None stays None: model-free mode makes no calls)."""
    return None if llm is None else CappedLLM(llm, counter)
