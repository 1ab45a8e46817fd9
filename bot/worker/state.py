"""The state of a bot without Redis: one SQLite file under TEABOT_DATA_DIR, shared by its processes.

`teabot serve`'s web process and a `teabot sweep` run from cron open the same file: SQLite's WAL mode
lets readers go on while one process writes, and every write is a `BEGIN IMMEDIATE` transaction, so
a check-then-write (is this lock free? take it) is atomic across processes. Each store declares its
own tables (`ensure`); the session store, the failure ledger, learned triage shapes and the daily
model-call counters live here (`bot.debug.store`, `bot.debug.ledger_db`, `bot.debug.learned`,
`bot.worker.caps`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

FILE = "state.sqlite3"


class StateError(Exception):
    """The state file cannot be opened or written: say where, so the operator can fix the data directory."""


class StateDB:
    """One connection per process to the state file, opened on first use (and again after a fork)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._schemas: set[str] = set()
        self._lock = threading.RLock()

    @classmethod
    def under(cls, data_dir: Path) -> StateDB:
        """The state file of the data directory `data_dir`."""
        return cls(Path(data_dir) / FILE)

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():  # a forked child opens its own
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=FULL")  # a session saved before a crash is there after it
            except (OSError, sqlite3.Error) as exc:
                raise StateError(f"cannot open the state file {self.path}: {exc}; check TEABOT_DATA_DIR is writable") from exc
            self._connection, self._pid, self._schemas = connection, os.getpid(), set()
        return self._connection

    def ensure(self, schema: str) -> None:
        """Create a store's tables (`CREATE TABLE IF NOT EXISTS ...`) once per connection."""
        with self._lock:
            if schema not in self._schemas or self._pid != os.getpid():
                db = self._db
                db.executescript(schema)
                self._schemas.add(schema)

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once (`BEGIN IMMEDIATE`): what it reads, no other process changes meanwhile."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a query, or None."""
        found = self.rows(sql, params)
        return found[0][0] if found else None

    def close(self) -> None:
        """Close this process's connection."""
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None
