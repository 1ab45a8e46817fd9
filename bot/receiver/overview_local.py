"""The overview's data without Redis: sessions and the ledger in state.sqlite3, the queue in jobs.sqlite3.

`teabot serve` without REDIS_URL keeps its debug sessions and failure ledger in the state file
(`bot.worker.state`) and its pending and failed jobs in the embedded queue's journal
(`bot.worker.journal`), both under TEABOT_DATA_DIR. SQLite's WAL mode lets `teabot status` read
them beside the running server. A file that does not exist yet is read as empty, never created.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.receiver.overview import SCAN_LIMIT, FailedJob
from bot.worker.journal import FILE as JOURNAL_FILE, Journal
from bot.worker.state import FILE as STATE_FILE, StateDB


class LocalStatus:
    """The overview's data in the files of a data directory (`journal`: the running queue's own, if given)."""

    def __init__(self, data_dir: Path, *, journal: Journal | None = None, clock: Callable[[], float] = time.time) -> None:
        self.data_dir = Path(data_dir)
        self.clock = clock
        state = self.data_dir / STATE_FILE
        self.state = StateDB(state) if state.exists() else None
        self._opened = journal is None and (self.data_dir / JOURNAL_FILE).exists()
        self.journal = Journal(self.data_dir / JOURNAL_FILE) if self._opened else journal

    def session_texts(self) -> Iterable[str]:
        """The JSON of the stored debug sessions."""
        if self.state is None:
            return []
        from bot.debug.store import SqliteSessionStore

        return SqliteSessionStore(self.state, clock=self.clock).recent(SCAN_LIMIT)

    def queue_state(self, limit: int) -> tuple[dict[str, int], int | None, list[FailedJob]]:
        """Jobs pending (due now or waiting to be retried) and failed, and the latest failed jobs; workers unknown."""
        if self.journal is None:
            return {"pending": 0, "scheduled": 0, "failed": 0}, None, []
        now = self.clock()
        pending = self.journal.pending()
        counts = {"pending": len(pending), "scheduled": sum(1 for e in pending if e.due > now),
                  "failed": self.journal.failed_count()}
        failed = [FailedJob(f.job_id, f.job.rsplit(".", 1)[-1], f.at, f.error) for f in self.journal.failures(limit)]
        return counts, None, failed

    def ledger(self) -> Any:
        """The failure ledger in the state file, or None before anything was stored."""
        if self.state is None:
            return None
        from bot.debug.ledger_db import SqliteLedger

        return SqliteLedger(self.state, clock=self.clock)

    def close(self) -> None:
        """Close the files this reader opened (not a journal it was given)."""
        if self.state is not None:
            self.state.close()
        if self._opened and self.journal is not None:
            self.journal.close()
