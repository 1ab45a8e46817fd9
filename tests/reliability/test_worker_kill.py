"""A worker and its work-horse SIGKILLed mid-job: a new worker finishes the job within a minute, once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from rq import Queue

from harness.rig import BOT, Rig, wait_for
from harness.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
COMMENTS = r"/repos/acme/widget/issues/\d+/comments"


def _replies(rig: Rig, number: int) -> list[dict]:
    return [c for c in rig.fake.list_comments("acme/widget", number) if c["user"]["login"] == BOT]


def test_a_killed_workers_job_completes_within_a_minute_of_a_new_worker_and_posts_once(tmp_path: Path, own_redis: RedisServer) -> None:
    rig = Rig(tmp_path / "rig", redis_url=own_redis.url)
    rig.seed()
    with rig:
        rig.start(workers=1)
        number = rig.fake.add_issue("acme/widget", "Kill me", "", author="alice")
        # The reply's POST is answered 4 s late: the worker dies while Gitea is creating the comment.
        rig.fake.delay_next("POST", COMMENTS, 4)
        rig.fake.add_comment("acme/widget", number, "/help", author="alice")
        queue = Queue(rig.queue_name, connection=own_redis.client())
        [delay] = [f for f in rig.fake.app.failures if f.delay]
        wait_for(lambda: delay.times == 0, 30, what=f"the reply's POST to reach Gitea\n{rig.logs()}")
        rig.kill_workers()  # SIGKILL to the worker, its scheduler and its work-horse
        assert queue.started_job_registry.get_job_ids(cleanup=False), "the job was not running when killed"
        started = time.monotonic()
        rig.start_worker()
        wait_for(lambda: queue.finished_job_registry.count == 1, 60, interval=0.5,
                 what=f"the abandoned job to finish on the new worker\n{rig.logs()}")
        recovered = time.monotonic() - started
        assert len(_replies(rig, number)) == 1, _replies(rig, number)
        print(f"\nFIGURE worker-kill: job finished {recovered:.1f}s after the new worker started; "
              f"{len(_replies(rig, number))} reply")
        assert recovered < 60


def test_a_killed_work_horse_ends_in_one_failure_comment(tmp_path: Path, own_redis: RedisServer) -> None:
    rig = Rig(tmp_path / "rig", redis_url=own_redis.url, extra_env={"TEABOT_RETRY_INTERVALS": "0"})
    rig.seed()
    with rig:
        rig.start(workers=1)
        number = rig.fake.add_issue("acme/widget", "Kill the horse", "", author="alice")
        rig.fake.delay_next("POST", COMMENTS, 8)  # the reply hangs: the work-horse is killed meanwhile (out of memory, say)
        rig.fake.add_comment("acme/widget", number, "/help", author="alice")
        [horse] = wait_for(rig.horses, 30, what=f"the work-horse\n{rig.logs()}")
        os.kill(horse, signal.SIGKILL)

        def errors() -> list[dict]:
            return [c for c in _replies(rig, number) if ":error -->" in c["body"]]

        [error] = wait_for(errors, 30, what=f"the failure comment\n{rig.logs()}")
        assert "was killed" in error["body"] and "/help" in error["body"]
        queue = Queue(rig.queue_name, connection=own_redis.client())
        wait_for(lambda: queue.failed_job_registry.count == 1, 10, what="the job in the failed registry")
        assert len(errors()) == 1
