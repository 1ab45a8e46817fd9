"""The failure ledger without Redis: the same records, outcomes and feedback in the state file (SQLite).

Tables: `failures` (one row per failure: its text fields as JSON, the compressed raw log, the outcome),
`failure_votes` (id, user → +1/-1), `failure_taught` (id, user: whose 👍 taught triage) and
`failure_counts` (repo, ISO week, category → count) and `failure_runs` (repo, run, job → id: a failed job
that is recorded again, by a job run again after a crash, keeps its one entry). Failures older than the retention are dropped
on write and skipped on read, with their votes.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable

from bot.debug.ledger import SIMILAR_SCAN, FailureRecord, StoredFailure, compress_log, iso_week, ranked, \
    record_fields, stored
from bot.triage import Triage
from bot.worker.state import StateDB

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (id INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL, fingerprint TEXT NOT NULL,
                                     recorded_at REAL NOT NULL, fields TEXT NOT NULL, raw BLOB,
                                     outcome TEXT NOT NULL DEFAULT '', outcome_detail TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS failures_by_fingerprint ON failures (repo, fingerprint, recorded_at);
CREATE INDEX IF NOT EXISTS failures_by_repo ON failures (repo, recorded_at);
CREATE TABLE IF NOT EXISTS failure_votes (id INTEGER, user TEXT, vote INTEGER NOT NULL, PRIMARY KEY (id, user));
CREATE TABLE IF NOT EXISTS failure_taught (id INTEGER, user TEXT, PRIMARY KEY (id, user));
CREATE TABLE IF NOT EXISTS failure_runs (repo TEXT, run_id TEXT, job_id TEXT, id INTEGER NOT NULL,
                                         PRIMARY KEY (repo, run_id, job_id));
CREATE TABLE IF NOT EXISTS failure_counts (repo TEXT, week TEXT, category TEXT, count INTEGER NOT NULL,
                                           PRIMARY KEY (repo, week, category));
"""
COLUMNS = "id, fields, outcome, outcome_detail, (SELECT COALESCE(SUM(vote), 0) FROM failure_votes v WHERE v.id = failures.id)"


class SqliteLedger:
    """Record failures, their outcomes and feedback in the state file; the same queries as `Ledger`."""

    def __init__(self, db: StateDB, *, max_raw_bytes: int = 1 << 20, ttl_days: float = 90,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.max_raw_bytes = max_raw_bytes
        self.ttl = int(ttl_days * 86400)
        self.clock = clock
        db.ensure(SCHEMA)

    def record(self, rec: FailureRecord) -> str:
        """Store one failure and return its id; a failed job recorded before (same repo, run and job) keeps its entry."""
        now = self.clock()
        raw, truncated = compress_log(rec.raw_log or b"", self.max_raw_bytes)
        fields = record_fields(rec, now, truncated)
        with self.db.write() as db:
            old = "SELECT id FROM failures WHERE recorded_at < ?"
            for table in ("failure_votes", "failure_taught", "failure_runs"):
                db.execute(f"DELETE FROM {table} WHERE id IN ({old})", (now - self.ttl,))  # noqa: S608 - fixed names
            db.execute("DELETE FROM failures WHERE recorded_at < ?", (now - self.ttl,))
            run = (rec.repo, str(rec.run_id), str(rec.job_id))
            known = db.execute("SELECT id FROM failure_runs WHERE repo = ? AND run_id = ? AND job_id = ?", run).fetchone()
            if known is not None:
                log.info("ledger: failure %s already recorded", known[0], extra={"repo": rec.repo, "run_id": rec.run_id})
                return str(known[0])
            cursor = db.execute("INSERT INTO failures (repo, fingerprint, recorded_at, fields, raw) VALUES (?, ?, ?, ?, ?)",
                                (rec.repo, rec.fingerprint, now, json.dumps(fields), raw if rec.raw_log else None))
            db.execute("INSERT INTO failure_counts VALUES (?, ?, ?, 1) "
                       "ON CONFLICT (repo, week, category) DO UPDATE SET count = count + 1",
                       (rec.repo, iso_week(now), rec.category))
            db.execute("INSERT INTO failure_runs VALUES (?, ?, ?, ?)", (*run, cursor.lastrowid))
        fid = str(cursor.lastrowid)
        log.info("ledger: recorded failure %s", fid, extra={"repo": rec.repo, "run_id": rec.run_id})
        return fid

    def get(self, fid: str) -> StoredFailure | None:
        """One stored failure, or None when unknown or expired."""
        found = self._select("id = ?", (_id(fid),))
        return found[0] if found else None

    def raw_log(self, fid: str) -> bytes | None:
        """The stored raw log (possibly only its tail, see `raw_truncated`), or None."""
        blob = self.db.value("SELECT raw FROM failures WHERE id = ? AND recorded_at >= ?", (_id(fid), self._oldest()))
        return zlib.decompress(blob) if blob else None

    def set_outcome(self, fid: str, outcome: str, detail: str = "") -> None:
        """Note how the failure ended (e.g. "fixed", "flaky-rerun-passed", "reported")."""
        with self.db.write() as db:
            changed = db.execute("UPDATE failures SET outcome = ?, outcome_detail = ? WHERE id = ? AND recorded_at >= ?",
                                 (outcome, detail, _id(fid), self._oldest()))
        if changed.rowcount == 0:
            raise KeyError(f"no ledger entry {fid!r} (unknown or expired)")

    def add_feedback(self, fid: str, vote: int, user: str) -> int:
        """Record a user's +1/-1 on the diagnosis (one vote per user); return the total."""
        if vote not in (1, -1):
            raise ValueError("feedback vote must be +1 or -1")
        with self.db.write() as db:
            if not db.execute("SELECT 1 FROM failures WHERE id = ? AND recorded_at >= ?", (_id(fid), self._oldest())).fetchone():
                raise KeyError(f"no ledger entry {fid!r} (unknown or expired)")
            db.execute("INSERT OR REPLACE INTO failure_votes VALUES (?, ?, ?)", (_id(fid), user, vote))
            return int(db.execute("SELECT SUM(vote) FROM failure_votes WHERE id = ?", (_id(fid),)).fetchone()[0])

    def first_confirmation(self, fid: str, user: str) -> bool:
        """True the first time `user` confirms failure `fid` (a sweep sees the same 👍 again and again)."""
        with self.db.write() as db:
            added = db.execute("INSERT OR IGNORE INTO failure_taught VALUES (?, ?)", (_id(fid), user.lower()))
            return added.rowcount == 1

    def history(self, repo: str, fingerprint: str, limit: int = 20) -> list[StoredFailure]:
        """Earlier failures of a repository with this fingerprint, newest first."""
        return self._select("repo = ? AND fingerprint = ?", (repo, fingerprint), max(1, limit))

    def similar(self, repo: str, probe: Triage | Iterable[str], limit: int = 5,
                min_score: float = 0.2) -> list[tuple[float, StoredFailure]]:
        """Recent failures whose key-line tokens resemble `probe` (Jaccard), best first."""
        return ranked(probe, self._select("repo = ?", (repo,), SIMILAR_SCAN), limit, min_score)

    def repos(self) -> list[str]:
        """The repositories with failures recorded."""
        rows = self.db.rows("SELECT DISTINCT repo FROM failures WHERE recorded_at >= ? ORDER BY repo", (self._oldest(),))
        return [repo for (repo,) in rows]

    def recent(self, repo: str, limit: int = SIMILAR_SCAN) -> list[StoredFailure]:
        """The latest failures of a repository, newest first."""
        return self._select("repo = ?", (repo,), max(1, limit))

    def counts(self, repo: str) -> dict[str, dict[str, int]]:
        """Failures per ISO week ("2024-W07") and category."""
        out: dict[str, dict[str, int]] = {}
        for week, category, count in self.db.rows("SELECT week, category, count FROM failure_counts WHERE repo = ?", (repo,)):
            out.setdefault(week, {})[category] = int(count)
        return dict(sorted(out.items()))

    def _select(self, where: str, params: tuple[object, ...], limit: int = 1) -> list[StoredFailure]:
        rows = self.db.rows(f"SELECT {COLUMNS} FROM failures WHERE {where} AND recorded_at >= ? "  # noqa: S608 - fixed text
                            "ORDER BY recorded_at DESC, id DESC LIMIT ?", (*params, self._oldest(), limit))
        return [stored(str(fid), {**json.loads(fields), "outcome": outcome, "outcome_detail": detail}, int(votes))
                for fid, fields, outcome, detail, votes in rows]

    def _oldest(self) -> float:
        return self.clock() - self.ttl


def _id(fid: str) -> int:
    """A failure id as stored (an id that is not a number names no failure)."""
    return int(fid) if str(fid).isdigit() else -1
