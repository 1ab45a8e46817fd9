"""Where debug sessions live between steps: Redis (shared by every worker), SQLite (without Redis), or memory (tests).

A session is stored as its JSON text under its key, with three indexes: by fix branch (a CI result
on `teabot/fix/...` finds its session), by fix commit (a pull_request run names no branch, only its
commit) and by repository (the reconciliation sweep and the "waiting" list). A per-session lock
keeps two steps of one session from running at once. Per repository, the store also keeps when the
last complete sweep began, so the next sweep reads the runs list only back to there.

Without Redis the sessions are in the state file under TEABOT_DATA_DIR (`bot.worker.state`), so a
restarted `teabot serve` resumes them and a `teabot sweep` run beside it sees them; its per-session
lock is a row with an expiry, taken in a write transaction.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import redis

from bot.worker.state import StateDB

PREFIX = "teabot:session"


class SessionStore(Protocol):
    """Storage for session JSON."""

    def load(self, key: str) -> str | None: ...
    def save(self, key: str, data: str, *, repo: str, branch: str | None = None,
             commits: Iterable[str] = ()) -> None: ...
    def key_for_branch(self, repo: str, branch: str) -> str | None: ...
    def key_for_commit(self, repo: str, sha: str) -> str | None: ...
    def keys(self, repo: str) -> list[str]: ...
    def lock(self, key: str, timeout: float = 600) -> contextlib.AbstractContextManager[None]: ...
    def last_sweep(self, repo: str) -> float | None: ...
    def mark_swept(self, repo: str, when: float) -> None: ...


class RedisSessionStore:
    """Sessions in Redis, kept for `ttl` seconds after their last change."""

    def __init__(self, connection: redis.Redis, *, ttl: int = 30 * 24 * 3600) -> None:
        self.redis = connection
        self.ttl = ttl

    def load(self, key: str) -> str | None:
        """The session's JSON, or None."""
        value = self.redis.get(f"{PREFIX}:{key}")
        return value.decode() if isinstance(value, bytes) else value

    def save(self, key: str, data: str, *, repo: str, branch: str | None = None, commits: Iterable[str] = ()) -> None:
        """Store the session and index it by repository, fix branch and fix commits."""
        with self.redis.pipeline() as pipe:
            pipe.set(f"{PREFIX}:{key}", data, ex=self.ttl)
            pipe.sadd(f"{PREFIX}-repo:{repo}", key)
            pipe.expire(f"{PREFIX}-repo:{repo}", self.ttl)
            if branch:
                pipe.set(f"{PREFIX}-branch:{repo}:{branch}", key, ex=self.ttl)
            for sha in commits:
                pipe.set(f"{PREFIX}-commit:{repo}:{sha}", key, ex=self.ttl)
            pipe.execute()

    def key_for_branch(self, repo: str, branch: str) -> str | None:
        """The session that owns fix branch `branch`."""
        return self._text(self.redis.get(f"{PREFIX}-branch:{repo}:{branch}"))

    def key_for_commit(self, repo: str, sha: str) -> str | None:
        """The session that pushed commit `sha`."""
        return self._text(self.redis.get(f"{PREFIX}-commit:{repo}:{sha}"))

    @staticmethod
    def _text(value: bytes | str | None) -> str | None:
        return value.decode() if isinstance(value, bytes) else value

    def keys(self, repo: str) -> list[str]:
        """Keys of the sessions of a repository."""
        return sorted(k.decode() if isinstance(k, bytes) else k for k in self.redis.smembers(f"{PREFIX}-repo:{repo}"))

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float = 600) -> Iterator[None]:
        """Hold the session's lock (blocking up to `timeout` seconds to get it)."""
        with self.redis.lock(f"{PREFIX}-lock:{key}", timeout=timeout, blocking_timeout=timeout):
            yield

    def last_sweep(self, repo: str) -> float | None:
        """When the last complete sweep of the repository began (epoch seconds), or None."""
        value = self._text(self.redis.get(f"{PREFIX}-swept:{repo}"))
        return float(value) if value else None

    def mark_swept(self, repo: str, when: float) -> None:
        """Record a complete sweep that began at `when`; it expires with the sessions it made."""
        self.redis.set(f"{PREFIX}-swept:{repo}", repr(when), ex=self.ttl)


class MemorySessionStore:
    """Sessions in this process only (tests and one-off runs: lost when the process ends)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._branches: dict[tuple[str, str], str] = {}
        self._commits: dict[tuple[str, str], str] = {}
        self._repos: dict[str, set[str]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._swept: dict[str, float] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> str | None:
        """The session's JSON, or None."""
        return self._data.get(key)

    def save(self, key: str, data: str, *, repo: str, branch: str | None = None, commits: Iterable[str] = ()) -> None:
        """Store the session and index it."""
        with self._guard:
            self._data[key] = data
            self._repos.setdefault(repo, set()).add(key)
            if branch:
                self._branches[(repo, branch)] = key
            self._commits.update(((repo, sha), key) for sha in commits)

    def key_for_branch(self, repo: str, branch: str) -> str | None:
        """The session that owns fix branch `branch`."""
        return self._branches.get((repo, branch))

    def key_for_commit(self, repo: str, sha: str) -> str | None:
        """The session that pushed commit `sha`."""
        return self._commits.get((repo, sha))

    def keys(self, repo: str) -> list[str]:
        """Keys of the sessions of a repository."""
        return sorted(self._repos.get(repo, ()))

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float = 600) -> Iterator[None]:
        """Hold the session's lock."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=timeout):
            raise TimeoutError(f"session {key} is busy")
        try:
            yield
        finally:
            lock.release()

    def last_sweep(self, repo: str) -> float | None:
        """When the last complete sweep of the repository began (epoch seconds), or None."""
        return self._swept.get(repo)

    def mark_swept(self, repo: str, when: float) -> None:
        """Record a complete sweep that began at `when`."""
        self._swept[repo] = when


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, repo TEXT NOT NULL, data TEXT NOT NULL, saved REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_repo ON sessions (repo, key);
CREATE TABLE IF NOT EXISTS session_branches (repo TEXT, branch TEXT, key TEXT NOT NULL, saved REAL NOT NULL,
                                             PRIMARY KEY (repo, branch));
CREATE TABLE IF NOT EXISTS session_commits (repo TEXT, sha TEXT, key TEXT NOT NULL, saved REAL NOT NULL,
                                            PRIMARY KEY (repo, sha));
CREATE TABLE IF NOT EXISTS session_locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (repo TEXT PRIMARY KEY, began REAL NOT NULL, saved REAL NOT NULL);
"""
LOCK_POLL = (0.02, 0.25)  # first and longest pause between tries for a busy session lock


class SqliteSessionStore:
    """Sessions in the state file, kept for `ttl` seconds after their last change, shared by every process."""

    def __init__(self, db: StateDB, *, ttl: int = 30 * 24 * 3600, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.ttl = ttl
        self.clock = clock
        db.ensure(SQLITE_SCHEMA)

    def load(self, key: str) -> str | None:
        """The session's JSON, or None (also once it expired)."""
        return self.db.value("SELECT data FROM sessions WHERE key = ? AND saved >= ?", (key, self._oldest()))

    def save(self, key: str, data: str, *, repo: str, branch: str | None = None, commits: Iterable[str] = ()) -> None:
        """Store the session and index it by repository, fix branch and fix commits; drop expired ones."""
        now = self.clock()
        with self.db.write() as db:
            for table in ("sessions", "session_branches", "session_commits", "sweeps"):
                db.execute(f"DELETE FROM {table} WHERE saved < ?", (now - self.ttl,))  # noqa: S608 - fixed names
            db.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?)", (key, repo, data, now))
            if branch:
                db.execute("INSERT OR REPLACE INTO session_branches VALUES (?, ?, ?, ?)", (repo, branch, key, now))
            db.executemany("INSERT OR REPLACE INTO session_commits VALUES (?, ?, ?, ?)",
                           [(repo, sha, key, now) for sha in commits])

    def key_for_branch(self, repo: str, branch: str) -> str | None:
        """The session that owns fix branch `branch`."""
        return self.db.value("SELECT key FROM session_branches WHERE repo = ? AND branch = ? AND saved >= ?",
                             (repo, branch, self._oldest()))

    def key_for_commit(self, repo: str, sha: str) -> str | None:
        """The session that pushed commit `sha`."""
        return self.db.value("SELECT key FROM session_commits WHERE repo = ? AND sha = ? AND saved >= ?",
                             (repo, sha, self._oldest()))

    def keys(self, repo: str) -> list[str]:
        """Keys of the sessions of a repository."""
        rows = self.db.rows("SELECT key FROM sessions WHERE repo = ? AND saved >= ? ORDER BY key", (repo, self._oldest()))
        return [key for (key,) in rows]

    def recent(self, limit: int = 500) -> list[str]:
        """The JSON of the sessions of every repository, the most recently saved first (for the status views)."""
        rows = self.db.rows("SELECT data FROM sessions WHERE saved >= ? ORDER BY saved DESC LIMIT ?",
                            (self._oldest(), limit))
        return [data for (data,) in rows]

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float = 600) -> Iterator[None]:
        """Hold the session's lock (waiting up to `timeout` seconds for it); a holder that died frees it after `timeout`."""
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        pause = LOCK_POLL[0]
        while not self._take(key, owner, timeout):
            if time.monotonic() >= deadline:
                raise TimeoutError(f"session {key} is busy")
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL[1])
        try:
            yield
        finally:
            with self.db.write() as db:
                db.execute("DELETE FROM session_locks WHERE key = ? AND owner = ?", (key, owner))

    def _take(self, key: str, owner: str, timeout: float) -> bool:
        now = self.clock()
        with self.db.write() as db:
            db.execute("DELETE FROM session_locks WHERE key = ? AND expires <= ?", (key, now))
            taken = db.execute("INSERT OR IGNORE INTO session_locks VALUES (?, ?, ?)", (key, owner, now + timeout))
            return taken.rowcount == 1

    def last_sweep(self, repo: str) -> float | None:
        """When the last complete sweep of the repository began (epoch seconds), or None."""
        return self.db.value("SELECT began FROM sweeps WHERE repo = ? AND saved >= ?", (repo, self._oldest()))

    def mark_swept(self, repo: str, when: float) -> None:
        """Record a complete sweep that began at `when`; it expires with the sessions it made."""
        with self.db.write() as db:
            db.execute("INSERT OR REPLACE INTO sweeps VALUES (?, ?, ?)", (repo, when, self.clock()))

    def _oldest(self) -> float:
        return self.clock() - self.ttl
