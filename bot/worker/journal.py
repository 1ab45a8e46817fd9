"""The journal of accepted jobs: job requests and seen job ids in SQLite under TEABOT_DATA_DIR.

A job is written here (and the write reaches the disk: `synchronous=FULL`) before the receiver
answers 2xx, and deleted only once it finished or failed for good. Without Redis (the embedded
queue) a process resumes the rows left at its next start; with Redis the receiver's reconciler
submits again a job that Redis lost (`bot.receiver.accepted`). The `seen` table is the dedupe store
that survives both: a replayed delivery finds its job id there and is not run again. The `failed`
table keeps the last jobs that failed for good, so `teabot status` and /status can list them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, request TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
                                 due REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS seen (job_id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failed (job_id TEXT PRIMARY KEY, job TEXT NOT NULL, error TEXT NOT NULL, at REAL NOT NULL);
"""
FILE = "jobs.sqlite3"  # the embedded queue's journal under TEABOT_DATA_DIR
KEEP_FAILED = 100  # failed jobs remembered for the status views


class JournalError(Exception):
    """The journal cannot be written: an accepted job would not be durable."""


@dataclass(frozen=True)
class FailedEntry:
    """A job that failed for good: its id, its function's dotted path, the error and when (epoch seconds)."""

    job_id: str
    job: str
    error: str
    at: float


@dataclass(frozen=True)
class JournalEntry:
    """A journaled job: its request (as JSON data), the try it is at, and when it is due (epoch seconds)."""

    job_id: str
    request: dict
    attempt: int
    due: float


class Journal:
    """Pending jobs and the ids of jobs already accepted, in one SQLite file."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._clock = clock

    @property
    def _db(self) -> sqlite3.Connection:
        """The database, opened on first use (so a process starts even where it cannot write yet)."""
        with self._lock:
            if self._connection is None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10)
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.execute("PRAGMA synchronous=FULL")  # a row we answered 2xx for is on disk
                    connection.executescript(SCHEMA)
                except (OSError, sqlite3.Error) as exc:
                    raise JournalError(f"cannot open the job journal {self.path}: {exc}; check TEABOT_DATA_DIR is writable") from exc
                self._connection = connection
            return self._connection

    def accept(self, job_id: str, request: dict, *, due: float = 0.0, dedupe_ttl: float) -> bool:
        """Journal a new job; False (and nothing written) when `job_id` was accepted within `dedupe_ttl`."""
        now = self._clock()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM seen WHERE at < ?", (now - dedupe_ttl,))
            if self._db.execute("SELECT 1 FROM seen WHERE job_id = ?", (job_id,)).fetchone():
                return False
            self._db.execute("INSERT INTO seen VALUES (?, ?)", (job_id, now))
            self._db.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, 0, ?)", (job_id, json.dumps(request), due))
        return True

    def schedule(self, job_id: str, request: dict, *, due: float) -> None:
        """Journal a job to run at `due`, whether or not its id was seen (a timed follow-up reuses its id)."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (job_id, self._clock()))
            self._db.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, 0, ?)", (job_id, json.dumps(request), due))

    def retry(self, job_id: str, attempt: int, due: float) -> None:
        """Record that the job will run again, as try `attempt`, at `due`."""
        with self._lock:
            self._db.execute("UPDATE jobs SET attempt = ?, due = ? WHERE job_id = ?", (attempt, due, job_id))

    def forget(self, job_id: str) -> None:
        """Undo `accept`: the job was not taken after all (the delivery goes to the spool and comes back later)."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
            self._db.execute("DELETE FROM seen WHERE job_id = ?", (job_id,))

    def finish(self, job_id: str) -> None:
        """Forget a job that finished or failed for good (its id stays in `seen`)."""
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))

    def fail(self, job_id: str, job: str, error: str) -> None:
        """Forget a job that failed for good, and remember it among the last failures."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
            self._db.execute("INSERT OR REPLACE INTO failed VALUES (?, ?, ?, ?)", (job_id, job, error, self._clock()))
            self._db.execute("DELETE FROM failed WHERE job_id NOT IN (SELECT job_id FROM failed ORDER BY at DESC LIMIT ?)",
                             (KEEP_FAILED,))

    def failures(self, limit: int = 10) -> list[FailedEntry]:
        """The jobs that failed for good, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT job_id, job, error, at FROM failed ORDER BY at DESC LIMIT ?", (limit,)).fetchall()
        return [FailedEntry(*row) for row in rows]

    def failed_count(self) -> int:
        """How many failed jobs are remembered."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM failed").fetchone()[0])

    def pending(self) -> list[JournalEntry]:
        """Every job not finished, oldest due first."""
        with self._lock:
            rows = self._db.execute("SELECT job_id, request, attempt, due FROM jobs ORDER BY due, rowid").fetchall()
        return [JournalEntry(job_id, json.loads(request), attempt, due) for job_id, request, attempt, due in rows]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
