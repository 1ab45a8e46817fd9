"""Prometheus metrics of the receiver, aggregated across gunicorn workers, plus what is read at scrape time.

Counted in the web processes: deliveries, enqueue time, acknowledgements. With PROMETHEUS_MULTIPROC_DIR
set (`teabot serve` sets it up) prometheus-client writes them to files that every worker's /metrics
reads, so consecutive scrapes agree whichever worker answers. Read when scraped: jobs per state and
queue depth, live workers, debug sessions by state (from Redis or the state file), and what the job workers counted into Redis
(bot.worker.telemetry: jobs by outcome and duration, Gitea API calls by route, model tokens by task).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
ACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    """The directory prometheus-client's multiprocess mode writes to, when it is on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# X-Gitea-Event values (Gitea's webhook_module.HookEventType and their coarse names); any other name is
# counted as "other", so a flood of invented event names cannot grow /metrics without bound.
KNOWN_EVENTS = frozenset({
    "?", "create", "delete", "fork", "push", "issues", "issue_assign", "issue_label", "issue_milestone",
    "issue_comment", "pull_request", "pull_request_assign", "pull_request_label", "pull_request_milestone",
    "pull_request_comment", "pull_request_review_approved", "pull_request_review_rejected",
    "pull_request_review_comment", "pull_request_sync", "pull_request_review_request", "wiki", "repository",
    "release", "package", "status", "workflow_run", "workflow_job", "schedule", "workflow_dispatch",
})


class Metrics:
    """The receiver's metrics, in a registry of their own (one per app, so tests stay independent)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.scraped: list[Collector] = []
        self.deliveries = Counter(
            "teabot_deliveries", "Webhook deliveries by event and outcome", ["event", "outcome"], registry=self.registry
        )
        self.enqueue_seconds = Histogram(
            "teabot_enqueue_seconds", "Time to queue the jobs of one delivery", registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )
        self.acks = Counter("teabot_acks", "Acknowledgements (👀) of commands by outcome", ["outcome"],
                            registry=self.registry)
        self.ack_seconds = Histogram("teabot_ack_seconds", "From a command's delivery to its acknowledgement",
                                     registry=self.registry, buckets=ACK_BUCKETS)

    def watch_queue(self, queue: Any, data_dir: Path | None = None) -> None:
        """Also export, when scraped, job counts per state, live workers, sessions and the workers' counters.

        Sessions are read from Redis, or without it from the state file under `data_dir`."""
        self.add_collector(_JobStates(queue))
        connection = getattr(queue, "connection", None)
        if connection is not None:
            self.add_collector(_FromRedis(connection))
        elif data_dir is not None:
            self.add_collector(_FromDataDir(data_dir))

    def add_collector(self, collector: Collector) -> None:
        """A collector read at scrape time (it reads shared state, so it is never aggregated)."""
        self.scraped.append(collector)
        if not multiprocess_dir():
            self.registry.register(collector)

    def exposition(self) -> bytes:
        """The text /metrics answers: every process's counters when in multiprocess mode."""
        path = multiprocess_dir()
        if not path:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
        for collector in self.scraped:
            registry.register(collector)
        return generate_latest(registry)


class _JobStates(Collector):
    """Jobs per state and live workers, read when scraped so every worker process's outcomes are counted."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("teabot_jobs", "Jobs by state (queued is the queue depth)", labels=["state"])
        for state, count in _job_counts(self.queue).items():
            family.add_metric([state], count)
        yield family
        from bot.receiver.health import live_workers

        workers = live_workers(self.queue)
        if workers is not None:
            yield GaugeMetricFamily("teabot_workers", "Live rq workers serving the queue (heartbeats)",
                                    value=workers)


class _FromRedis(Collector):
    """Debug sessions by state, and the counters the job workers keep in Redis."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def collect(self) -> Iterator[Any]:
        try:
            from bot.receiver.overview import sessions
            from bot.worker.telemetry import families

            rows = sessions(self.connection, 0.0)
            found = list(families(self.connection))
        except Exception as exc:  # Redis down: report nothing rather than failing the scrape
            log.debug("metrics from Redis unavailable: %s", exc)
            return
        yield from _session_families(rows)
        yield from found


class _FromDataDir(Collector):
    """Debug sessions by state, from the state file of a bot without Redis."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def collect(self) -> Iterator[Any]:
        from bot.receiver.overview import session_rows
        from bot.receiver.overview_local import LocalStatus

        source = LocalStatus(self.data_dir)
        try:
            rows = session_rows(source.session_texts(), 0.0)
        except Exception as exc:  # a locked or damaged state file: report nothing rather than failing the scrape
            log.debug("session metrics unavailable: %s", exc)
            return
        finally:
            source.close()
        yield from _session_families(rows)


def _session_families(rows: list[Any]) -> Iterator[GaugeMetricFamily]:
    """Sessions and their fix attempts by state and phase (active or done)."""
    states: dict[tuple[str, str], int] = {}
    attempts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.state, "done" if row.done else "active")
        states[key] = states.get(key, 0) + 1
        attempts[key] = attempts.get(key, 0) + row.attempts_used
    family = GaugeMetricFamily("teabot_sessions", "Debug sessions stored, by state", labels=["state", "phase"])
    tries = GaugeMetricFamily("teabot_session_attempts", "Fix attempts of the stored debug sessions, by state",
                              labels=["state", "phase"])
    for (state, phase), count in sorted(states.items()):
        family.add_metric([state, phase], count)
        tries.add_metric([state, phase], attempts[(state, phase)])
    yield family
    yield tries


def _job_counts(queue: Any) -> dict[str, int]:
    rq_queue = getattr(queue, "rq", None)
    if rq_queue is None:
        states: dict[str, int] = {"finished": 0, "failed": 0, "retrying": 0}
        for state in getattr(queue, "results", {}).values():
            states[state] = states.get(state, 0) + 1
        return states
    try:
        return {
            "queued": rq_queue.count,
            "started": rq_queue.started_job_registry.count,
            "scheduled": rq_queue.scheduled_job_registry.count,
            "finished": rq_queue.finished_job_registry.count,
            "failed": rq_queue.failed_job_registry.count,
        }
    except Exception:  # Redis down: report nothing rather than failing the scrape
        return {}
