"""What the bot is doing, read without changing anything: sessions, queue, failures, the ledger.

`teabot status` prints it and the receiver's /status page draws it. A `StatusSource` says where it is
read from: Redis (`RedisStatus`: the session store's keys, rq's registries, bot.debug.ledger), or,
without Redis, the files of the embedded queue under TEABOT_DATA_DIR (`bot.receiver.overview_local`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

SESSION_PATTERN = "teabot:session:*"
SCAN_LIMIT = 500  # sessions and ledger entries read per repository: a page, not an archive


@dataclass(frozen=True)
class SessionRow:
    """One debug session and its budget."""

    key: str
    repo: str
    workflow: str
    run_id: int
    state: str
    attempts: str  # "1/3"
    tokens: str  # "12000/200000"
    minutes: str  # "4/30"
    category: str
    created_at: float
    done: bool
    attempts_used: int = 0


@dataclass(frozen=True)
class FailedJob:
    """A job that ended in rq's failed registry."""

    job_id: str
    job: str
    ended_at: float | None
    error: str


@dataclass(frozen=True)
class Recurring:
    """A failure fingerprint seen more than once in a repository."""

    repo: str
    fingerprint: str
    count: int
    category: str
    summary: str
    last_outcome: str
    last_seen: float


@dataclass
class Overview:
    """Everything the status views show."""

    sessions: list[SessionRow] = field(default_factory=list)
    queue: dict[str, int] = field(default_factory=dict)
    workers: int | None = None
    failed_jobs: list[FailedJob] = field(default_factory=list)
    recurring: list[Recurring] = field(default_factory=list)
    flaky: list[Recurring] = field(default_factory=list)
    weekly: dict[str, dict[str, int]] = field(default_factory=dict)  # ISO week -> category -> failures

    @property
    def in_flight(self) -> list[SessionRow]:
        """Sessions not yet finished, oldest first."""
        return [s for s in self.sessions if not s.done]


@runtime_checkable
class StatusSource(Protocol):
    """Where the overview is read from."""

    def session_texts(self) -> Iterable[str]:
        """The JSON of the stored debug sessions."""

    def queue_state(self, limit: int) -> tuple[dict[str, int], int | None, list[FailedJob]]:
        """Job counts per state, live workers (None when unknown) and the latest `limit` failed jobs."""

    def ledger(self) -> Any:
        """The failure ledger (with `repos`, `recent` and `counts`), or None when there is none."""


class RedisStatus:
    """The overview's data in Redis: the sessions' keys, the rq queue `queue_name`, the failure ledger."""

    def __init__(self, conn: Any, queue_name: str = "teabot") -> None:
        self.conn = conn
        self.queue_name = queue_name

    def session_texts(self) -> Iterable[str]:
        """The JSON of the stored debug sessions."""
        for key in list(self.conn.scan_iter(match=SESSION_PATTERN, count=200))[:SCAN_LIMIT]:
            raw = self.conn.get(key)
            if raw is not None:
                yield _text(raw)

    def queue_state(self, limit: int) -> tuple[dict[str, int], int | None, list[FailedJob]]:
        """Job counts per state, live workers and the latest failed jobs of the rq queue."""
        return queue_state(self.conn, self.queue_name, limit)

    def ledger(self) -> Any:
        """The failure ledger in Redis."""
        from bot.debug.ledger import Ledger

        return Ledger(self.conn)


def gather(source: StatusSource | Any, queue_name: str = "teabot", *, now: float | None = None,
           failures: int = 10) -> Overview:
    """Read the overview from a `StatusSource`, or from a Redis connection."""
    now = time.time() if now is None else now
    if not isinstance(source, StatusSource):
        source = RedisStatus(source, queue_name)
    overview = Overview(sessions=session_rows(source.session_texts(), now))
    overview.queue, overview.workers, overview.failed_jobs = source.queue_state(failures)
    ledger = source.ledger()
    if ledger is not None:
        overview.recurring, overview.flaky, overview.weekly = ledger_state(ledger)
    return overview


def sessions(conn: Any, now: float) -> list[SessionRow]:
    """Every debug session stored in Redis, oldest first."""
    return session_rows(RedisStatus(conn).session_texts(), now)


def session_rows(texts: Iterable[str], now: float) -> list[SessionRow]:
    """Rows of the sessions stored as `texts` (their JSON), oldest first."""
    from bot.debug.core.session import Session

    rows = []
    for raw in texts:
        try:
            session = Session.from_json(raw)
        except (ValueError, TypeError, KeyError):  # a session written by another version: skip it
            continue
        left, budget = session.budget_left(now), session.budget
        rows.append(SessionRow(session.key, session.repo, session.workflow, session.run_id, session.state.value,
                               f"{left.attempts_used}/{budget.attempts}", f"{left.tokens_used}/{budget.tokens}",
                               f"{left.minutes_used:.0f}/{budget.minutes}", session.category, session.created_at,
                               session.done, left.attempts_used))
    return sorted(rows, key=lambda r: r.created_at)


def queue_state(conn: Any, name: str, limit: int) -> tuple[dict[str, int], int, list[FailedJob]]:
    """Job counts per state, live workers and the latest failed jobs of the rq queue `name`."""
    from rq import Queue, Worker
    from rq.job import Job

    queue = Queue(name, connection=conn)
    counts = {"queued": queue.count, "started": queue.started_job_registry.count,
              "scheduled": queue.scheduled_job_registry.count, "failed": queue.failed_job_registry.count}
    workers = len(Worker.all(connection=conn, queue=queue))
    ids = queue.failed_job_registry.get_job_ids()[-limit:]
    failed = []
    for job in Job.fetch_many(ids, connection=conn):
        if job is None:
            continue
        result = job.latest_result()
        lines = ((result.exc_string if result is not None else "") or "").strip().splitlines()
        failed.append(FailedJob(job.id, (job.func_name or "").rsplit(".", 1)[-1],
                                job.ended_at.timestamp() if job.ended_at else None, lines[-1] if lines else ""))
    return counts, workers, sorted(failed, key=lambda f: f.ended_at or 0, reverse=True)


def ledger_state(ledger: Any) -> tuple[list[Recurring], list[Recurring], dict[str, dict[str, int]]]:
    """Recurring failures, flaky tests and failures per week and category, over every repository."""
    groups: dict[tuple[str, str], list[Any]] = {}
    weekly: dict[str, dict[str, int]] = {}
    for repo in ledger.repos():
        for entry in ledger.recent(repo, SCAN_LIMIT):
            groups.setdefault((repo, entry.fingerprint), []).append(entry)
        for week, categories in ledger.counts(repo).items():
            for category, count in categories.items():
                weekly.setdefault(week, {})[category] = weekly.get(week, {}).get(category, 0) + count
    recurring, flaky = [], []
    for (repo, fingerprint), entries in groups.items():
        newest = max(entries, key=lambda e: e.recorded_at)
        outcome = next((e.outcome for e in sorted(entries, key=lambda e: -e.recorded_at) if e.outcome), "")
        row = Recurring(repo, fingerprint, len(entries), newest.category, newest.summary, outcome, newest.recorded_at)
        if any(e.outcome == "flaky" for e in entries):
            flaky.append(row)
        if len(entries) > 1:
            recurring.append(row)
    order = lambda r: (-r.count, -r.last_seen)  # noqa: E731
    return sorted(recurring, key=order), sorted(flaky, key=order), dict(sorted(weekly.items()))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
