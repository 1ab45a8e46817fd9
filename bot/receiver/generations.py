"""Each repository's current hand-over credential generation: in Redis when REDIS_URL is set, else SQLite.

A repository starts at generation 1; `teabot handover rotate` adds one, and from then on the
receiver refuses credentials of older generations. The store is where every server process
reads it: Redis, which all web processes share, when one is configured (keep Redis persistent, as
for the job queue: `teabot check` and /healthz say whether it is), otherwise `handover.sqlite3`
in TEABOT_DATA_DIR, which the processes of one machine share. Run `teabot handover` with the
server's own environment so it writes where the server reads.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

from bot.config.settings import Settings

REDIS_KEY = "teabot:handover:rotations"  # hash: repository (lowercased) -> rotations so far
SCHEMA = "CREATE TABLE IF NOT EXISTS rotations (repo TEXT PRIMARY KEY, count INTEGER NOT NULL)"


class GenerationsUnavailable(Exception):
    """The store of generations cannot be read or written; the message says which and why."""


class Generations(Protocol):
    """Where each repository's current generation is kept."""

    def current(self, repo: str) -> int:
        """The repository's current generation (1 until it is first rotated)."""

    def rotate(self, repo: str) -> int:
        """Move the repository to its next generation; returns it."""

    def describe(self) -> str:
        """Where the generations are kept, for the operator."""


class FileGenerations:
    """Generations in a SQLite file (one machine's processes share it)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
            connection.execute("PRAGMA synchronous=FULL")  # a rotation the operator was told of is on disk
            connection.execute(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise GenerationsUnavailable(f"cannot open {self.path} ({exc}): check TEABOT_DATA_DIR is writable") from None
        return connection

    def current(self, repo: str) -> int:
        """The repository's current generation."""
        connection = self._connect()
        try:
            row = connection.execute("SELECT count FROM rotations WHERE repo = ?", (repo.lower(),)).fetchone()
        except sqlite3.Error as exc:
            raise GenerationsUnavailable(f"cannot read {self.path} ({exc})") from None
        finally:
            connection.close()
        return 1 + (int(row[0]) if row else 0)

    def rotate(self, repo: str) -> int:
        """Move the repository to its next generation."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO rotations (repo, count) VALUES (?, 1) "
                               "ON CONFLICT(repo) DO UPDATE SET count = count + 1", (repo.lower(),))
            (count,) = connection.execute("SELECT count FROM rotations WHERE repo = ?", (repo.lower(),)).fetchone()
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise GenerationsUnavailable(f"cannot write {self.path} ({exc}): check TEABOT_DATA_DIR is writable") from None
        finally:
            connection.close()
        return 1 + int(count)

    def describe(self) -> str:
        """For the operator."""
        return str(self.path)


class RedisGenerations:
    """Generations in a Redis hash (every web process, on any machine, reads the same one)."""

    def __init__(self, connection: object) -> None:
        self.connection = connection

    def current(self, repo: str) -> int:
        """The repository's current generation."""
        import redis

        try:
            count = self.connection.hget(REDIS_KEY, repo.lower())  # type: ignore[attr-defined]
        except redis.RedisError as exc:
            raise GenerationsUnavailable(f"Redis did not answer ({type(exc).__name__}): check REDIS_URL") from None
        return 1 + int(count or 0)

    def rotate(self, repo: str) -> int:
        """Move the repository to its next generation (HINCRBY is atomic)."""
        import redis

        try:
            return 1 + int(self.connection.hincrby(REDIS_KEY, repo.lower(), 1))  # type: ignore[attr-defined]
        except redis.RedisError as exc:
            raise GenerationsUnavailable(f"Redis did not answer ({type(exc).__name__}): check REDIS_URL") from None

    def describe(self) -> str:
        """For the operator."""
        return f"Redis hash {REDIS_KEY}"


def make_generations(settings: Settings) -> Generations:
    """Redis when REDIS_URL is set, else the SQLite file in the data directory."""
    if settings.redis_url:
        from bot.worker.queues import connect

        return RedisGenerations(connect(settings.redis_url))
    return FileGenerations(settings.data_dir / "handover.sqlite3")
