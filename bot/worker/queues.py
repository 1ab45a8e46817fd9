"""Job queues: RQ on Redis for real deployments, an in-process queue for the one-command start.

Every queue follows the `JobQueue` protocol. A `JobRequest` names its job function by its dotted path
("bot.plan.jobs.plan_command"), so the web process that enqueues never imports the agents; the
worker imports the function when it runs it. Queues collapse duplicates on the request's job id: RQ through `unique=True` (the job
hash lives for `dedupe_ttl`, so a manual replay a day later is still one job), the embedded queue
through a table of ids it has seen. `QueueUnavailable` means "could not queue, spool it".
"""

from __future__ import annotations

import logging
from datetime import timedelta
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import redis
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.utils import import_attribute

from bot.config.settings import Settings

log = logging.getLogger(__name__)

# Transient failures are retried after these pauses (seconds); permanent ones fail at once.
RETRY_INTERVALS = (10, 60, 300)
REDIS_CONNECT_TIMEOUT = 1.0
REDIS_SOCKET_TIMEOUT = 5.0


# The job the embedded queue is running in this thread, and whether it may have run before
# (rq jobs have `get_current_job()`).
running_job: ContextVar[str | None] = ContextVar("running_job", default=None)
running_again: ContextVar[bool] = ContextVar("running_again", default=False)
FAILURE_CALLBACK = "bot.worker.failures.on_job_failure"


class QueueUnavailable(Exception):
    """The queue's backing store cannot be reached right now."""


@dataclass(frozen=True)
class JobRequest:
    """One unit of work a handler asked for: a job function's dotted path and JSON-able arguments."""

    job: str
    key: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    timeout: int = 300
    retry_intervals: tuple[int, ...] = RETRY_INTERVALS
    recovered: bool = False  # submitted again after the queue lost it: it may have run already

    @property
    def job_id(self) -> str:
        """The job id: the same work always gets the same id."""
        return f"teabot-{self.name}-{self.key}"

    @property
    def name(self) -> str:
        """The job function's name, e.g. "plan_command"."""
        return self.job.rsplit(".", 1)[-1]


def resolve(job: str) -> Callable[..., Any]:
    """The job function a dotted path names (imported on first use, in the process that runs it)."""
    return import_attribute(job)  # type: ignore[return-value]


class JobQueue(Protocol):
    """What the receiver, the workers and the steps need of a queue."""

    def submit(self, request: JobRequest) -> bool: ...

    def submit_in(self, seconds: float, request: JobRequest) -> bool: ...

    def ping(self) -> bool: ...

    def describe(self) -> str: ...


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: forge/model unavailability, rate limits, network trouble."""
    if getattr(exc, "transient", False):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError, redis.ConnectionError, redis.TimeoutError, httpx.TransportError))


@dataclass(frozen=True)
class Persistence:
    """What a Redis server writes to disk: AOF (with its fsync policy) and RDB snapshots."""

    aof: bool
    fsync: str  # "always", "everysec", "no" or "" (unknown)
    rdb: bool

    @property
    def durable(self) -> bool:
        """True when a crash loses at most the last second of writes (AOF on, fsync always or everysec)."""
        return self.aof and self.fsync in ("always", "everysec", "")

    def describe(self) -> str:
        """A short description for /healthz and `teabot check`."""
        if self.aof:
            return f"aof (appendfsync {self.fsync or 'unknown'})" + (" + rdb" if self.rdb else "")
        return "rdb snapshots only" if self.rdb else "none"


def persistence_of(connection: redis.Redis) -> Persistence | None:
    """Ask Redis how it persists: CONFIG GET, or INFO persistence where CONFIG is disabled (managed Redis)."""
    try:
        try:
            config = connection.config_get("appendonly") | connection.config_get("appendfsync") | connection.config_get("save")
            return Persistence(config.get("appendonly") == "yes", str(config.get("appendfsync") or ""),
                               bool(str(config.get("save") or "").strip()))
        except redis.ResponseError:
            info = connection.info("persistence")
            return Persistence(bool(info.get("aof_enabled")), "", bool(info.get("rdb_last_save_time")))
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return None


class RQQueue:
    """Submit jobs to an RQ queue on Redis."""

    def __init__(self, connection: redis.Redis, name: str = "teabot", *, dedupe_ttl: int = 7 * 24 * 3600) -> None:
        self.connection = connection
        self.rq = Queue(name, connection=connection)
        self.dedupe_ttl = dedupe_ttl

    def submit(self, request: JobRequest) -> bool:
        """Queue `request`; False when the same job is already known (a duplicate)."""
        retry = Retry(max=len(request.retry_intervals), interval=list(request.retry_intervals)) if request.retry_intervals else None
        try:
            self.rq.enqueue(
                request.job, kwargs=request.kwargs, job_id=request.job_id, unique=True, job_timeout=request.timeout,
                retry=retry, result_ttl=self.dedupe_ttl, failure_ttl=self.dedupe_ttl, description=request.name,
                on_failure=Callback(FAILURE_CALLBACK), meta={"recovered": True} if request.recovered else None,
            )
        except DuplicateJobError:
            return False
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise QueueUnavailable(f"Redis unreachable: {exc}") from exc
        return True

    def submit_in(self, seconds: float, request: JobRequest) -> bool:
        """Queue `request` to run after `seconds` (the worker's scheduler moves it when due)."""
        try:
            self.rq.enqueue_in(
                timedelta(seconds=seconds), request.job, kwargs=request.kwargs, job_id=request.job_id,
                job_timeout=request.timeout, result_ttl=self.dedupe_ttl, failure_ttl=self.dedupe_ttl,
                description=request.name, on_failure=Callback(FAILURE_CALLBACK),
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise QueueUnavailable(f"Redis unreachable: {exc}") from exc
        return True

    def status(self, job_id: str) -> str | None:
        """rq's status of a job ("queued", "started", "finished", ...), or None when Redis does not know it."""
        try:
            value = self.connection.hget(Job.key_for(job_id), "status")
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise QueueUnavailable(f"Redis unreachable: {exc}") from exc
        return value.decode() if value else None

    def persistence(self) -> Persistence | None:
        """How this Redis keeps its data across a crash, or None when it cannot be reached."""
        return persistence_of(self.connection)

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self.connection.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def describe(self) -> str:
        """A short description for /healthz."""
        return f"rq:{self.rq.name}"


def connect(url: str) -> redis.Redis:
    """The one way teabot opens Redis: short connect and read timeouts, so an outage is noticed quickly
    and a delivery is spooled instead of waiting (rq's blocking dequeue sets its own read timeout)."""
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT,
                                health_check_interval=30)


def make_queue(settings: Settings) -> JobQueue:
    """RQ when REDIS_URL is set, otherwise the in-process queue, journaled under TEABOT_DATA_DIR."""
    if settings.redis_url:
        return RQQueue(connect(settings.redis_url), settings.queue_name, dedupe_ttl=settings.dedupe_ttl)
    from bot.worker.embedded import EmbeddedQueue
    from bot.worker.journal import FILE as JOURNAL_FILE, Journal

    return EmbeddedQueue(dedupe_ttl=settings.dedupe_ttl, journal=Journal(settings.data_dir / JOURNAL_FILE))
