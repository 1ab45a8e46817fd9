"""The `teabot worker` process: an rq worker tuned to recover abandoned jobs quickly and to outlive Redis outages.

rq notices a dead worker's job only when the job's heartbeat entry in the started registry expires
(at least 60 s after the last beat, a constant in rq) and only at maintenance (every 10 minutes by
default, and an idle worker blocks in BLPOP for `worker_ttl - 15` s between maintenances). We run
maintenance every few seconds and, before rq's own registry cleanup, expire at once the entries of
workers that stopped beating: rq's cleanup then runs the failure callback and the retry, as it
would have 60 s or 10 minutes later. The same check frees a scheduler lock held by a dead worker.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import redis
from rq import Queue, Worker
from rq.executions import Execution
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from bot.worker.metered import MeteredWorker
from bot.worker.telemetry import Telemetry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tuning:
    """rq's timing knobs, chosen so a killed worker's job runs again within a minute."""

    job_monitoring_interval: int = 5  # a busy worker beats this often
    worker_ttl: int = 20  # an idle worker beats every worker_ttl - 15 s (its BLPOP timeout)
    maintenance_interval: int = 5
    dead_after: float = 20.0  # no beat for this long: the worker and its work-horse are gone


def is_dead(connection: redis.Redis, key: str, now: float, dead_after: float) -> bool:
    """True when the worker or scheduler hash at `key` has not beaten for `dead_after` seconds (or is gone)."""
    beat = connection.hget(key, "last_heartbeat")
    if beat is None:
        return True
    last = datetime.fromisoformat(beat.decode().replace("Z", "+00:00"))
    if last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)
    return now - last.timestamp() > dead_after


def expire_abandoned(queue: Queue, dead_after: float, now: float | None = None) -> list[str]:
    """Mark the started entries of dead workers as expired, so rq's cleanup retries or fails them now."""
    now = time.time() if now is None else now
    registry = queue.started_job_registry
    expired = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            execution = Execution.fetch(execution_id, job_id, connection=queue.connection)
            worker_name = execution.worker_name
        except ValueError:  # the execution hash is gone: nobody runs it
            worker_name = ""
        if not worker_name or is_dead(queue.connection, Worker.redis_worker_namespace_prefix + worker_name, now, dead_after):
            registry.connection.zadd(registry.key, {f"{job_id}:{execution_id}": 1}, xx=True)
            expired.append(job_id)
    return expired


def free_stale_scheduler_lock(queue: Queue, dead_after: float, now: float | None = None) -> bool:
    """Delete the queue's scheduler lock when the scheduler holding it stopped beating (rq would wait out its TTL,
    and a lock restored from an AOF after a crash is a lock nobody holds)."""
    now = time.time() if now is None else now
    key = RQScheduler.get_locking_key(queue.name)
    holder = queue.connection.get(key)
    if holder is None or not is_dead(queue.connection, SCHEDULER_KEY_TEMPLATE % holder.decode(), now, dead_after):
        return False
    queue.connection.delete(key)
    log.warning("freed the scheduler lock of %s held by dead worker %s", queue.name, holder.decode())
    return True


class TeabotWorker(MeteredWorker):
    """An rq worker whose maintenance also reclaims what dead workers held (and that counts its jobs)."""

    tuning = Tuning()

    def run_maintenance_tasks(self) -> None:
        """Expire dead workers' jobs and scheduler locks, then run rq's maintenance."""
        for queue in self.queues:
            abandoned = expire_abandoned(queue, self.tuning.dead_after)
            if abandoned:
                log.warning("jobs of dead workers will be retried or failed: %s", ", ".join(abandoned))
            free_stale_scheduler_lock(queue, self.tuning.dead_after)
        super().run_maintenance_tasks()


def build_worker(connection: redis.Redis, queue_name: str, name: str | None,
                 horse_killed: Callable[..., None] | None = None, tuning: Tuning = Tuning(),
                 telemetry: Telemetry | None = None) -> TeabotWorker:
    """A worker on `queue_name` with teabot's tuning."""
    queue = Queue(queue_name, connection=connection)
    worker = TeabotWorker([queue], connection=connection, name=name, worker_ttl=tuning.worker_ttl,
                          job_monitoring_interval=tuning.job_monitoring_interval,
                          maintenance_interval=tuning.maintenance_interval, work_horse_killed_handler=horse_killed)
    worker.tuning = tuning
    worker.telemetry = telemetry
    return worker


def run(connection: redis.Redis, queue_name: str, name: str | None, *, burst: bool = False,
        horse_killed: Callable[..., None] | None = None, pause: Callable[[float], None] = time.sleep,
        telemetry: Telemetry | None = None) -> None:
    """Work until asked to stop; when Redis goes away, wait for it and start a fresh worker (rq's exits)."""
    generation = 0
    while True:
        worker_name = f"{name}-{generation}" if name and generation else name
        try:
            worker = build_worker(connection, queue_name, worker_name, horse_killed, telemetry=telemetry)
        except (redis.ConnectionError, redis.TimeoutError) as exc:  # rq names its connection first: Redis is down
            log.warning("worker %s cannot reach Redis (%s): waiting for it", worker_name or "", exc)
            if not _wait_for_redis(connection, pause):
                return
            continue
        try:
            worker.work(with_scheduler=True, burst=burst)
        except (redis.ConnectionError, redis.TimeoutError) as exc:  # raised from rq's start-up or teardown
            log.error("worker %s lost Redis: %s", worker.name, exc)
            with contextlib.suppress(Exception):
                worker.unsubscribe()  # teardown stopped before it: don't leave a reconnecting pubsub thread behind
        if burst or _asked_to_stop(worker):
            return
        log.warning("worker %s stopped without being asked (Redis outage?): waiting for Redis", worker.name)
        if not _wait_for_redis(connection, pause):
            return
        generation += 1


def _asked_to_stop(worker: Worker) -> bool:
    # rq records a SIGTERM/SIGINT as the shutdown date (idle) or the stop flag (busy); anything else ended `work`.
    return worker._stop_requested or worker._shutdown_requested_date is not None


def _wait_for_redis(connection: redis.Redis, pause: Callable[[float], None]) -> bool:
    """Wait until Redis answers (True) or SIGTERM/SIGINT asks us to stop (False); rq's handlers are gone with its worker."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        delay = 0.5
        while not stop.is_set():
            try:
                if connection.ping():
                    return True
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                pass
            pause(delay)
            delay = min(delay * 2, 5.0)
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
