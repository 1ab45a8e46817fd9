"""Where debug sessions live between steps: Redis (shared by every worker), or memory (embedded mode).

A session is stored as its JSON text under its key, with three indexes: by fix branch (a CI result
on `teabot/fix/...` finds its session), by fix commit (a pull_request run names no branch, only its
commit) and by repository (the reconciliation sweep and the "waiting" list). A per-session lock
keeps two steps of one session from running at once. Per repository, the store also keeps when the
last complete sweep began, so the next sweep reads the runs list only back to there.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Protocol

import redis

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
    """Sessions in this process only (embedded mode: lost on restart; the sweep catches up)."""

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
