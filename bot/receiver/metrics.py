"""Prometheus metrics of the receiver, and job outcomes read from RQ's registries at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


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
        self.deliveries = Counter(
            "teabot_deliveries", "Webhook deliveries by event and outcome", ["event", "outcome"], registry=self.registry
        )
        self.enqueue_seconds = Histogram(
            "teabot_enqueue_seconds", "Time to queue the jobs of one delivery", registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )

    def watch_queue(self, queue: Any) -> None:
        """Also export job counts per state from `queue` (an RQQueue or EmbeddedQueue)."""
        self.registry.register(_JobStates(queue))


class _JobStates(Collector):
    """Jobs per state, read when scraped so every worker process's outcomes are counted."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("teabot_jobs", "Jobs by state", labels=["state"])
        for state, count in _job_counts(self.queue).items():
            family.add_metric([state], count)
        yield family


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
