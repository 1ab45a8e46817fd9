"""Accepted jobs are on the receiver's disk until Redis says they are done, so a 2xx survives a Redis crash.

Redis without `appendonly yes` loses everything at a crash, and with AOF `everysec` the last second.
So the receiver journals each job request (`bot.worker.journal`, fsynced) before it queues it and
answers 2xx; `reconcile`, run by the spool drainer every few seconds, forgets the jobs Redis reports
finished or failed and submits again those Redis no longer knows. A job that ran before Redis lost
it runs again, and its comments are still posted once (`bot.worker.effects`).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from collections.abc import Callable

from bot.worker.journal import Journal, JournalError
from bot.worker.queues import JobRequest, QueueUnavailable, RQQueue

log = logging.getLogger(__name__)

DONE = frozenset({"finished", "failed", "stopped", "canceled"})
SETTLE_SECONDS = 10.0  # a job journaled this recently may still be on its way into Redis


class AcceptedJobs:
    """The receiver's journal of the jobs it accepted, and what Redis says of them."""

    def __init__(self, journal: Journal, *, dedupe_ttl: int, clock: Callable[[], float] = time.time) -> None:
        self.journal = journal
        self.dedupe_ttl = dedupe_ttl
        self.clock = clock

    def submit(self, queue: RQQueue, request: JobRequest) -> bool:
        """Journal then queue `request`; False for a duplicate. QueueUnavailable leaves no trace in the journal."""
        try:
            if not self.journal.accept(request.job_id, dataclasses.asdict(request), due=self.clock(), dedupe_ttl=self.dedupe_ttl):
                return False
        except (JournalError, sqlite3.Error) as exc:
            raise QueueUnavailable(str(exc)) from exc  # not durable here: the spool is the next place to try
        try:
            queued = queue.submit(request)
        except QueueUnavailable:
            self.journal.forget(request.job_id)  # the delivery is spooled whole and routed again later
            raise
        if not queued:
            self.journal.finish(request.job_id)  # Redis holds it already (another receiver accepted it)
        return queued

    def reconcile(self, queue: RQQueue) -> tuple[int, int]:
        """Forget the jobs Redis finished, submit again those it lost; returns (forgotten, resubmitted)."""
        forgotten = resubmitted = 0
        settled = self.clock() - SETTLE_SECONDS
        for entry in self.journal.pending():
            if entry.due > settled:
                continue
            status = queue.status(entry.job_id)
            if status in DONE or entry.due < self.clock() - self.dedupe_ttl:
                self.journal.finish(entry.job_id)
                forgotten += 1
            elif status is None:
                request = JobRequest(**{**entry.request, "retry_intervals": tuple(entry.request["retry_intervals"]),
                                        "recovered": True})
                queue.submit(request)
                log.warning("job %s was accepted but Redis lost it: submitted again", entry.job_id, extra={"job_id": entry.job_id})
                resubmitted += 1
        return forgotten, resubmitted

    def depth(self) -> int:
        """Jobs accepted and not known to be done."""
        return len(self.journal.pending())
