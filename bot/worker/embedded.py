"""The embedded queue: jobs run on threads of the web process, for running without Redis (`teabot serve` alone).

With a `Journal` (the default of `make_queue`), a job is on disk before `submit` returns, so before
the receiver answers 2xx; it leaves the journal only when it finished or failed for good, and
`resume()` at start-up runs whatever a stopped process left (a SIGTERM, a crash, a deploy). A job
that ran partly before the stop runs again from the start; its comments are posted once
(`bot.worker.effects`). Transient failures are retried after the request's pauses; the human
hears of the final failure once (`bot.worker.failures`).
"""

from __future__ import annotations

import dataclasses
import logging
import queue as stdlib_queue
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.redact import redact
from bot.worker.journal import Journal
from bot.worker.queues import JobRequest, is_transient, resolve, running_again, running_job
from bot.worker.telemetry import Telemetry

log = logging.getLogger(__name__)
OUTCOMES = {"finished": "finished", "failed": "failed", "retrying": "scheduled"}  # rq's names for the same ends


class EmbeddedQueue:
    """An in-process queue and worker threads, journaled when given a `Journal`."""

    def __init__(self, *, workers: int = 2, dedupe_ttl: int = 7 * 24 * 3600, journal: Journal | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._pending: stdlib_queue.Queue[tuple[JobRequest, int]] = stdlib_queue.Queue()
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._workers = workers
        self._dedupe_ttl = dedupe_ttl
        self._clock = clock
        self._busy = 0
        self._timers = 0
        self.journal = journal
        self.results: dict[str, str] = {}  # job id -> "finished" | "failed" | "retrying"
        self.telemetry: Telemetry | None = None  # jobs by outcome and duration, as rq workers count them

    def submit(self, request: JobRequest) -> bool:
        """Journal and queue `request` unless the same job was accepted within the dedupe window."""
        if not self._accept(request):
            return False
        self._put(request, 0, 0.0)
        return True

    def submit_in(self, seconds: float, request: JobRequest) -> bool:
        """Journal `request` and run it after `seconds` (like rq's `enqueue_in`, the same id may come again)."""
        if self.journal is not None:
            self.journal.schedule(request.job_id, _data(request), due=self._clock() + seconds)
        self._put(request, 0, seconds)
        return True

    def resume(self) -> int:
        """Queue the jobs a previous process journaled and did not finish; returns how many."""
        entries = self.journal.pending() if self.journal is not None else []
        now = self._clock()
        for entry in entries:  # it may have run partly before the stop: its comments are looked for first
            self._put(dataclasses.replace(_request(entry.request), recovered=True), entry.attempt, max(0.0, entry.due - now))
        if entries:
            log.warning("resumed %d journaled jobs left by the previous process", len(entries))
        return len(entries)

    def depth(self) -> int:
        """Jobs accepted and not done (journaled ones, else the in-memory count)."""
        if self.journal is not None:
            return len(self.journal.pending())
        with self._lock:
            return self._pending.qsize() + self._busy + self._timers

    def ping(self) -> bool:
        """Always reachable: it lives in this process."""
        return True

    def describe(self) -> str:
        """A short description for /healthz."""
        return f"embedded, journaled in {self.journal.path}" if self.journal is not None else "embedded"

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until no job is queued, waiting or running; True if that happened within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = self._pending.empty() and self._busy == 0 and self._timers == 0
            if idle:
                return True
            time.sleep(0.01)
        return False

    def _accept(self, request: JobRequest) -> bool:
        if self.journal is not None:
            return self.journal.accept(request.job_id, _data(request), dedupe_ttl=self._dedupe_ttl)
        now = self._clock()
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self._dedupe_ttl}
            if request.job_id in self._seen:
                return False
            self._seen[request.job_id] = now
        return True

    def _put(self, request: JobRequest, attempt: int, delay: float) -> None:
        self._start()
        if delay <= 0:
            self._pending.put((request, attempt))
            return
        with self._lock:
            self._timers += 1

        def due() -> None:
            with self._lock:
                self._timers -= 1
            self._pending.put((request, attempt))

        timer = threading.Timer(delay, due)
        timer.daemon = True
        timer.start()

    def _start(self) -> None:
        with self._lock:
            if self._threads:
                return
            for n in range(self._workers):
                thread = threading.Thread(target=self._work, name=f"teabot-embedded-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while True:
            request, attempt = self._pending.get()
            with self._lock:
                self._busy += 1
            try:
                self._run(request, attempt)
            finally:
                with self._lock:
                    self._busy -= 1

    def _run(self, request: JobRequest, attempt: int) -> None:
        token, again = running_job.set(request.job_id), running_again.set(attempt > 0 or request.recovered)
        started = time.perf_counter()
        try:
            resolve(request.job)(**request.kwargs)
        except Exception as exc:  # a job must never kill the worker thread
            self._failed(request, attempt, exc)
            self._record(request, time.perf_counter() - started)
            return
        finally:
            running_job.reset(token)
            running_again.reset(again)
        self.results[request.job_id] = "finished"
        self._record(request, time.perf_counter() - started)
        self._forget(request)

    def _record(self, request: JobRequest, seconds: float) -> None:
        """Count the job as rq workers do (`bot.worker.metered`): by its function's name and how it ended."""
        if self.telemetry is None:
            return
        label = request.job.rsplit(".", 1)[-1]
        outcome = OUTCOMES.get(self.results.get(request.job_id, ""), "unknown")
        try:
            self.telemetry.inc("teabot_job_runs", {"job": label, "outcome": outcome})
            self.telemetry.observe("teabot_job_seconds", {"job": label}, seconds)
        except Exception as exc:  # metrics must never fail a job
            log.debug("job metrics not recorded: %s", exc)

    def _failed(self, request: JobRequest, attempt: int, exc: Exception) -> None:
        if is_transient(exc) and attempt < len(request.retry_intervals):
            delay = request.retry_intervals[attempt]
            log.warning("job %s failed (%s); retry %d in %ss", request.job_id, exc, attempt + 1, delay, extra={"job_id": request.job_id})
            self.results[request.job_id] = "retrying"
            if self.journal is not None:
                self.journal.retry(request.job_id, attempt + 1, self._clock() + delay)
            self._put(request, attempt + 1, delay)
            return
        log.error("job %s failed for good: %s", request.job_id, exc, extra={"job_id": request.job_id})
        self.results[request.job_id] = "failed"
        from bot.worker.failures import tell  # the worker side; the web process imports it only when a job fails
        from bot.worker.runtime import current

        tell(current(), request.job, request.kwargs, request.job_id, str(exc) or type(exc).__name__)
        if self.journal is not None:  # listed by `teabot status` and /status, as rq's failed registry is
            self.journal.fail(request.job_id, request.job, redact(f"{type(exc).__name__}: {exc}"))

    def _forget(self, request: JobRequest) -> None:
        if self.journal is not None:
            self.journal.finish(request.job_id)


def _data(request: JobRequest) -> dict[str, Any]:
    return dataclasses.asdict(request)


def _request(data: dict[str, Any]) -> JobRequest:
    return JobRequest(data["job"], data["key"], data["kwargs"], data["timeout"], tuple(data["retry_intervals"]))
