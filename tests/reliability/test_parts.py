"""The parts the fault tests rely on, one at a time: journal, accepted jobs, effects, dead-worker reaping, deadlines."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_lib
from rq import Queue, Worker
from rq.scheduler import RQScheduler

from bot.config.settings import ConfigError, Settings
from bot.config.yaml_bounds import MAX_DEPTH, TooDeep, safe_load
from bot.forge.client import GiteaClient
from bot.llm.limits import DeadlineTransport
from bot.receiver.accepted import AcceptedJobs
from bot.worker.effects import OnceForge, effect_marker, post_once
from bot.worker.embedded import EmbeddedQueue
from bot.worker.journal import Journal
from bot.worker.process import expire_abandoned, free_stale_scheduler_lock, is_dead
from bot.worker.queues import JobRequest, RQQueue

CALLS: list[dict[str, Any]] = []


def record(**kwargs: Any) -> None:
    """A job for these tests."""
    CALLS.append(kwargs)


def test_the_journal_keeps_jobs_until_finished_and_ids_for_the_dedupe_window(tmp_path: Path) -> None:
    now = [1000.0]
    journal = Journal(tmp_path / "j.sqlite3", clock=lambda: now[0])
    assert journal.accept("a", {"x": 1}, dedupe_ttl=60) and not journal.accept("a", {"x": 1}, dedupe_ttl=60)
    journal.retry("a", 2, 1010.0)
    [entry] = Journal(tmp_path / "j.sqlite3").pending()  # another process sees it on disk
    assert (entry.job_id, entry.request, entry.attempt, entry.due) == ("a", {"x": 1}, 2, 1010.0)
    journal.finish("a")
    assert journal.pending() == [] and not journal.accept("a", {}, dedupe_ttl=60)
    now[0] += 61
    assert journal.accept("a", {}, dedupe_ttl=60)  # the window passed
    journal.forget("a")
    assert journal.pending() == [] and journal.accept("a", {}, dedupe_ttl=60)


def test_a_journal_that_cannot_be_written_says_where(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(Exception, match="TEABOT_DATA_DIR"):
        Journal(tmp_path / "file" / "j.sqlite3").pending()


def test_the_embedded_queue_resumes_what_a_stopped_process_journaled(tmp_path: Path) -> None:
    CALLS.clear()
    request = JobRequest(f"{__name__}.record", "k1", {"n": 1}, 30, ())
    Journal(tmp_path / "jobs.sqlite3").accept(request.job_id, __import__("dataclasses").asdict(request), dedupe_ttl=60)
    queue = EmbeddedQueue(journal=Journal(tmp_path / "jobs.sqlite3"))
    assert queue.resume() == 1 and queue.join(5) and CALLS == [{"n": 1}]
    assert queue.depth() == 0 and not queue.submit(request)  # done, and still a duplicate


def test_accepted_jobs_are_forgotten_when_done_and_submitted_again_when_lost(tmp_path: Path, redis: redis_lib.Redis) -> None:
    now = [time.time()]
    accepted = AcceptedJobs(Journal(tmp_path / "a.sqlite3", clock=lambda: now[0]), dedupe_ttl=3600, clock=lambda: now[0])
    queue = RQQueue(redis, "teabot-parts")
    done, lost = JobRequest(f"{__name__}.record", "done", {}, 30), JobRequest(f"{__name__}.record", "lost", {}, 30)
    assert accepted.submit(queue, done) and accepted.submit(queue, lost) and not accepted.submit(queue, lost)
    queue.rq.fetch_job(done.job_id).set_status("finished")
    queue.rq.fetch_job(lost.job_id).delete()  # Redis lost it
    assert accepted.reconcile(queue) == (0, 0)  # too recent: may still be on its way
    now[0] += 60
    assert accepted.reconcile(queue) == (1, 1) and accepted.depth() == 1
    assert queue.rq.fetch_job(lost.job_id).meta == {"recovered": True}


class Comments:
    """A Gitea of one issue's comments, through httpx.MockTransport."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.posts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts += 1
            self.bodies.append(__import__("json").loads(request.content)["body"])
            return httpx.Response(201, json={"id": len(self.bodies), "body": self.bodies[-1]})
        page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        items = [{"id": n + 1, "body": b} for n, b in enumerate(self.bodies)][(page - 1) * limit:page * limit]
        return httpx.Response(200, json=items)


def test_a_rerun_finds_its_comments_and_a_first_run_posts_at_once() -> None:
    gitea = Comments()
    client = GiteaClient(httpx.Client(transport=httpx.MockTransport(gitea), base_url="http://gitea.test/api/v1"))
    gitea.bodies = [f"filler {n}" for n in range(120)]  # three pages
    first = OnceForge(client, "job-1", verify=False)
    first.create_comment("acme/widget", 7, "one")
    first.create_comment("acme/widget", 7, "two")
    assert gitea.posts == 2 and gitea.bodies[-1] == "two\n" + effect_marker("job-1/2")
    again = OnceForge(client, "job-1", verify=True)
    assert again.create_comment("acme/widget", 7, "one")["id"] == 121
    again.create_comment("acme/widget", 7, "two")
    again.create_comment("acme/widget", 7, "three")  # the first run died before this one
    assert gitea.posts == 3
    assert post_once(client, "acme/widget", 7, "x", "job-1/3")["body"].startswith("three")


def test_dead_workers_lose_their_jobs_and_scheduler_locks_at_once(redis: redis_lib.Redis) -> None:
    queue = Queue("teabot-reap", connection=redis)
    now = time.time()
    redis.hset("rq:worker:alive", "last_heartbeat", time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(now)))
    redis.hset("rq:worker:dead", "last_heartbeat", time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(now - 60)))
    assert not is_dead(redis, "rq:worker:alive", now, 20) and is_dead(redis, "rq:worker:dead", now, 20)
    assert is_dead(redis, "rq:worker:never", now, 20)
    registry = queue.started_job_registry
    for job_id, worker in (("j-alive", "alive"), ("j-dead", "dead")):
        redis.hset(f"rq:execution:{job_id}:e1", mapping={"created_at": now, "last_heartbeat": now, "worker_name": worker})
        redis.zadd(registry.key, {f"{job_id}:e1": now + 3600})
    assert expire_abandoned(queue, 20, now) == ["j-dead"]
    assert registry.get_expired_job_ids(now) == ["j-dead"]  # rq's own cleanup retries or fails it now
    lock = RQScheduler.get_locking_key(queue.name)
    redis.set(lock, "gone-scheduler")
    assert free_stale_scheduler_lock(queue, 20, now) and redis.get(lock) is None
    assert Worker.redis_worker_namespace_prefix == "rq:worker:"


def test_yaml_nesting_is_bounded_and_the_key_named() -> None:
    assert safe_load("a: {b: [1, 2]}") == {"a": {"b": [1, 2]}}
    assert safe_load("\n".join("  " * n + f"k{n}:" for n in range(MAX_DEPTH)))  # at the bound: fine
    with pytest.raises(TooDeep, match=r"at key k0\.k1\.k2"):
        safe_load("\n".join("  " * n + f"k{n}:" for n in range(MAX_DEPTH + 2)))


@pytest.mark.parametrize(("value", "intervals"), [(None, (10, 60, 300)), ("1,5", (1, 5)), ("0", ())])
def test_retry_intervals_come_from_the_environment(value: str | None, intervals: tuple[int, ...]) -> None:
    env = {} if value is None else {"TEABOT_RETRY_INTERVALS": value}
    assert Settings.from_env(env).retry_intervals == intervals


def test_bad_retry_intervals_say_what_to_write() -> None:
    with pytest.raises(ConfigError, match="TEABOT_RETRY_INTERVALS='soon' is not a list of seconds"):
        Settings.from_env({"TEABOT_RETRY_INTERVALS": "soon"})


def test_the_deadline_covers_the_whole_body() -> None:
    clock = [0.0]

    def slow(request: httpx.Request) -> httpx.Response:
        def chunks() -> Any:
            for _ in range(10):
                clock[0] += 1.0  # one second per byte
                yield b" "
        return httpx.Response(200, content=chunks())

    client = httpx.Client(transport=DeadlineTransport(3.5, httpx.MockTransport(slow), clock=lambda: clock[0]))
    with pytest.raises(httpx.ReadTimeout, match="deadline"):
        client.get("http://model.test/v1/chat/completions")
    assert clock[0] <= 5.0


def test_a_worker_loads_every_job_module_before_it_forks_work_horses() -> None:
    import re
    import subprocess
    import sys

    from bot.worker.runtime import JOB_MODULES

    named = set()
    for path in Path(__file__).resolve().parents[2].joinpath("bot").rglob("*.py"):
        named |= {m.rsplit(".", 1)[0] for m in re.findall(r'"(bot\.\w+\.jobs\.\w+)"', path.read_text())}
    assert named and named <= set(JOB_MODULES)  # a new job module must be preloaded too
    code = ("import sys; from bot.config.settings import Settings; from bot.worker.runtime import Runtime, preload; "
            "from bot.worker.embedded import EmbeddedQueue; preload(Runtime(Settings(), EmbeddedQueue())); "
            "print(all(m in sys.modules for m in %r))" % (JOB_MODULES,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_a_worker_started_while_redis_is_down_waits_for_it_and_then_works(tmp_path: Path) -> None:
    from harness.redis_server import RedisServer
    from bot.worker.process import run
    from bot.worker.queues import connect

    server = RedisServer(tmp_path / "redis", persistent=True, fsync="always")
    server.start()
    request = JobRequest(f"{__name__}.record", "k-down", {"n": 7}, 30, ())
    RQQueue(server.client(), "teabot-parts-down").submit(request)
    server.kill()  # the job is kept in the AOF; the worker starts while Redis is gone
    waits: list[float] = []

    def pause(seconds: float) -> None:  # the outage ends while the worker waits for Redis
        waits.append(seconds)
        if len(waits) == 2:
            server.start()

    try:
        run(connect(server.url), "teabot-parts-down", "w-down", burst=True, pause=pause)  # returns: it did not crash
        job = RQQueue(server.client(), "teabot-parts-down").rq.fetch_job(request.job_id)
        assert len(waits) >= 2 and job is not None and job.get_status() == "finished"  # run in its work-horse
    finally:
        server.kill()
