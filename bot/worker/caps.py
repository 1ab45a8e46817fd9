"""Daily model-call caps per repository and per user, counted in Redis, or in the state file without Redis.

Every model call a job makes goes through `CappedLLM`, which asks `DailyCaps.refusal` first and
counts the call after: INCR on the day's two counters (`bot.llm.usage.day_keys`) with an EXPIREAT
at the end of the UTC day, so the counters clean themselves up (in the state file, a `calls` row per
counter with the same expiry, shared by `teabot serve` and `teabot sweep`; in this process's memory
when given neither). Jobs also ask `refusal` before
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
from bot.worker.state import StateDB

_memory: Counter[str] = Counter()  # the counters of a process given no store
SCHEMA = "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL);"
Counts = redis.Redis | StateDB | None
_lock = threading.Lock()


class DailyCapReached(LLMBudgetExceeded):
    """The repository or the user has used today's model calls."""


class CallCounter:
    """Today's model calls of one repository and one user in it."""

    def __init__(self, conn: Counts, repo: str, user: str, caps: DailyCaps,
                 now: datetime | None = None) -> None:
        self.conn, self.repo, self.user, self.caps = conn, repo, user, caps
        self.now = now or datetime.now(timezone.utc)
        self.keys = day_keys(repo, user, self.now.strftime("%Y-%m-%d"))

    @classmethod
    def for_limits(cls, conn: Counts, repo: str, user: str, limits: Limits) -> CallCounter:
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
        until = int(midnight.timestamp()) + 3600  # an hour of slack for clock skew between hosts
        if isinstance(self.conn, StateDB):
            self.conn.ensure(SCHEMA)
            with self.conn.write() as db:
                db.execute("DELETE FROM calls WHERE expires < ?", (self.now.timestamp(),))
                db.executemany("INSERT INTO calls VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET count = count + 1",
                               [(key, until) for key in self.keys])
            return
        pipe = self.conn.pipeline()
        for key in self.keys:
            pipe.incr(key)
            pipe.expireat(key, until)
        pipe.execute()

    def _read(self) -> tuple[int, int]:
        if self.conn is None:
            with _lock:
                return _memory[self.keys[0]], _memory[self.keys[1]]
        if isinstance(self.conn, StateDB):
            self.conn.ensure(SCHEMA)
            return (int(self.conn.value("SELECT count FROM calls WHERE key = ?", (self.keys[0],)) or 0),
                    int(self.conn.value("SELECT count FROM calls WHERE key = ?", (self.keys[1],)) or 0))
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
