"""From a raw delivery to queued jobs: verify, drop the bot's own events, route, enqueue or spool.

The web receiver, the spool drainer and `teabot replay` all go through `Intake`, so a delivery is
handled the same way whichever door it came in by.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.settings import Settings
from bot.events import DeliveryError, Event, is_bot_event
from bot.receiver.accepted import AcceptedJobs
from bot.receiver.metrics import KNOWN_EVENTS, Metrics
from bot.worker.queues import JobQueue, JobRequest, QueueUnavailable, RQQueue
from bot.routing import Context, Router
from bot.receiver.spool import Spool, SpoolError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What happened to a delivery, and the HTTP status that says so."""

    status: int
    message: str
    jobs: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The body of the receiver's answer."""
        return {"status": self.status, "message": self.message, "jobs": list(self.jobs)}


class Intake:
    """The delivery pipeline shared by every way an event comes in."""

    def __init__(self, settings: Settings, router: Router, queue: JobQueue, spool: Spool, metrics: Metrics | None = None,
                 accepted: AcceptedJobs | None = None) -> None:
        self.settings = settings
        self.router = router
        self.queue = queue
        self.spool = spool
        self.metrics = metrics or Metrics()
        self.accepted = accepted  # with Redis: jobs journaled until Redis reports them done

    def receive(self, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Handle one HTTP delivery: the signature is checked before anything is parsed."""
        if len(body) > self.settings.max_body_bytes:
            return self.too_large()
        try:
            event = Event.from_http(headers, body, self.settings.webhook_secret)
        except DeliveryError as exc:
            log.warning("delivery refused: %s", exc, extra={"delivery_id": headers.get("X-Gitea-Delivery", "")})
            return self._count("?", Outcome(exc.status, str(exc)))
        return self.process(event)

    def too_large(self) -> Outcome:
        """The answer to a body longer than TEABOT_MAX_BODY_BYTES (nothing of it was parsed)."""
        return self._count("?", Outcome(413, f"request body exceeds TEABOT_MAX_BODY_BYTES={self.settings.max_body_bytes}: "
                                             "raise it if Gitea's payloads are this big"))

    def process(self, event: Event) -> Outcome:
        """Route a verified event and queue its jobs; spool it when the queue is unreachable."""
        logger = _logger(event)
        try:
            outcome = self._route(event, logger)
        except QueueUnavailable as exc:
            outcome = self._spool(event, logger, exc)
        return self._count(event.name, outcome)

    def drain(self) -> int:
        """Queue every spooled delivery (oldest first); returns how many were taken off the spool."""
        drained = 0
        for claim, record in self.spool.claim_all():
            event = Event(record["name"], record["type"], record["delivery_id"], record["payload"])
            try:
                outcome = self._route(event, _logger(event))
            except QueueUnavailable:
                self.spool.release(claim)  # still down: keep it, and the rest, for the next drain
                break
            self.spool.done(claim)
            self._count(event.name, outcome)
            drained += 1
        return drained

    def _route(self, event: Event, logger: logging.LoggerAdapter) -> Outcome:
        if is_bot_event(event, self.settings.bot_login):
            return Outcome(200, "ignored: caused by the bot itself")
        if not self.router.handles(event.name):
            return Outcome(204, f"event {event.name!r} is not handled")
        requests: list[JobRequest] = []
        self.router.dispatch(event, Context(self.settings, logger, _collector(requests, self.settings.retry_intervals)))
        if not requests:
            return Outcome(204, f"{event.name}/{event.action or '-'}: nothing to do")
        started = time.perf_counter()
        if self.accepted is not None and isinstance(self.queue, RQQueue):
            queued = [r.job_id for r in requests if self.accepted.submit(self.queue, r)]
        else:
            queued = [r.job_id for r in requests if self.queue.submit(r)]
        self.metrics.enqueue_seconds.observe(time.perf_counter() - started)
        if not queued:
            return Outcome(202, "duplicate: this work is already queued or done")
        logger.info("queued %s", ", ".join(queued))
        return Outcome(202, "queued", tuple(queued))

    def _spool(self, event: Event, logger: logging.LoggerAdapter, exc: Exception) -> Outcome:
        record = {"name": event.name, "type": event.type, "delivery_id": event.delivery_id, "payload": dict(event.payload)}
        try:
            self.spool.append(record)
        except SpoolError as spool_exc:
            logger.error("delivery lost: queue down (%s) and %s", exc, spool_exc)
            return Outcome(503, f"cannot queue or spool this delivery: {spool_exc}")
        logger.warning("queue unavailable (%s): delivery spooled", exc)
        return Outcome(202, "spooled: the queue is unavailable; the delivery will be queued when it is back")

    def _count(self, event_name: str, outcome: Outcome) -> Outcome:
        label = event_name if event_name in KNOWN_EVENTS or self.router.handles(event_name) else "other"
        self.metrics.deliveries.labels(event=label, outcome=_outcome_label(outcome)).inc()
        return outcome


def _logger(event: Event) -> logging.LoggerAdapter:
    return logging.LoggerAdapter(log, {"delivery_id": event.delivery_id, "repo": event.repo})


def _collector(requests: list[JobRequest], default_intervals: tuple[int, ...]) -> Callable[..., None]:
    def enqueue(job: str, *, key: str, timeout: int = 300, retry_intervals: tuple[int, ...] | None = None, **kwargs: Any) -> None:
        intervals = default_intervals if retry_intervals is None else retry_intervals
        requests.append(JobRequest(job, key, kwargs, timeout, intervals))

    return enqueue


def _outcome_label(outcome: Outcome) -> str:
    if outcome.status == 202:
        return outcome.message.split(":")[0].split()[0]
    return {200: "ignored", 204: "unhandled", 401: "unauthorized", 413: "too_large", 503: "lost"}.get(outcome.status, "rejected")
