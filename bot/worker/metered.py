"""Counting what workers do: an rq Worker that records each job's outcome and duration, and metered clients."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import httpx
from rq import Worker
from rq.job import Job

from bot.llm.limits import DeadlineTransport
from bot.worker.telemetry import CountingTransport, Telemetry
from bot.worker.runtime import Runtime


def metered(runtime: Runtime, telemetry: Telemetry) -> Runtime:
    """`runtime` with Gitea calls counted by route and model tokens by task."""
    return dataclasses.replace(
        runtime,
        gitea_transport=CountingTransport(runtime.gitea_transport or httpx.HTTPTransport(), telemetry, "gitea"),
        # inside the count, the total deadline per model call (httpx's timeouts are per read, not per answer)
        model_transport=CountingTransport(runtime.model_transport or DeadlineTransport(runtime.settings.model.timeout),
                                          telemetry, "model"))


def job_label(job: Job) -> str:
    """A bounded label for a job: its function's name (debug_run, plan_issue …)."""
    return (job.func_name or "unknown").rsplit(".", 1)[-1]


class MeteredWorker(Worker):
    """An rq Worker that counts jobs by outcome (finished, failed, scheduled for a retry) and times them."""

    telemetry: Telemetry | None = None

    def perform_job(self, job: Job, queue: Any) -> bool:
        """Run the job as rq does, then record how it ended and how long it took."""
        started = time.perf_counter()
        try:
            return super().perform_job(job, queue)
        finally:
            if self.telemetry is not None:
                self._record(job, time.perf_counter() - started)

    def _record(self, job: Job, seconds: float) -> None:
        try:
            status = job.get_status(refresh=True)
            outcome = str(getattr(status, "value", status) or "unknown")
        except Exception:  # the job's hash may already have expired
            outcome = "unknown"
        label = job_label(job)
        assert self.telemetry is not None
        self.telemetry.inc("teabot_job_runs", {"job": label, "outcome": outcome})
        self.telemetry.observe("teabot_job_seconds", {"job": label}, seconds)
