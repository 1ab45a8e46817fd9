"""kill -9 of Redis during a burst of deliveries, with and without AOF: nothing accepted is lost or done twice.

The issue's figure is 1,000 deliveries; here 150 (two workers, a threaded fake Gitea, two shared
cores) keep each test within about a minute, with Redis killed at the 60th answer and back 5 s later.
`TEABOT_FAULT_DELIVERIES=1000` runs the full figure (Redis killed at the 400th answer); it takes
minutes, so it is not the default.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rq import Queue, Worker

from harness.rig import BOT, Rig, wait_for
from tests.conftest import comment_case
from harness.redis_server import RedisServer

DELIVERIES = int(os.environ.get("TEABOT_FAULT_DELIVERIES") or 150)
KILL_AT = DELIVERIES * 2 // 5
# seconds after Redis returns: 2 minutes, as the issue asks; the 1,000-delivery run on two shared cores gets more
HANDLED_WITHIN = max(120.0, DELIVERIES * 0.6)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(200 + DELIVERIES)]
MARK = re.compile(r"<!-- teabot-effect (teabot-reply_help-\w+)/1 -->")


def _burst(rig: Rig, number: int, server: RedisServer) -> tuple[list[int], float]:
    """Deliver the burst on 8 threads; kill Redis at the KILL_AT-th answer, start it again 5 s later."""
    answered = 0
    lock = threading.Lock()
    killed = threading.Event()
    # the comments exist on Gitea (jobs re-read them by id); the test sends their deliveries itself
    ids = [rig.fake.add_comment("acme/widget", number, "/help", author="alice", deliver=False) for _ in range(DELIVERIES)]

    def deliver(n: int) -> int:
        nonlocal answered
        case = comment_case("/help", comment_id=ids[n])
        case["body"]["issue"]["number"] = number
        status = rig.deliver("issue_comment", case["body"]).status_code
        with lock:
            answered += 1
            if answered == KILL_AT:
                server.kill()
                killed.set()
        return status

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(deliver, range(DELIVERIES)))
    assert killed.wait(1)
    time.sleep(5.0)  # the outage: Redis stays down 5 s after the burst's last answer
    server.start()
    return statuses, time.monotonic()


def _states(rig: Rig, server: RedisServer) -> dict[str, object]:
    queue = Queue(rig.queue_name, connection=server.client())
    return {"queued": queue.count, "started": queue.started_job_registry.get_job_ids(cleanup=False),
            "scheduled": queue.scheduled_job_registry.count, "failed": queue.failed_job_registry.count,
            "finished": queue.finished_job_registry.count, "intermediate": server.client().lrange(queue.intermediate_queue_key, 0, -1),
            "workers": [w.name for w in Worker.all(queue=queue)]}


def _replies(rig: Rig, number: int) -> Counter[str]:
    bodies = [c["body"] for c in rig.fake.list_comments("acme/widget", number) if c["user"]["login"] == BOT]
    return Counter(m for body in bodies for m in MARK.findall(body))


@pytest.mark.parametrize("persistent", [False, True], ids=["no-persistence", "aof-everysec"])
def test_killing_redis_mid_burst_loses_and_repeats_nothing(tmp_path: Path, persistent: bool) -> None:
    server = RedisServer(tmp_path / "redis", persistent=persistent, fsync="everysec")  # everysec: the README's setting
    server.start()
    rig = Rig(tmp_path / "rig", redis_url=server.url)
    rig.seed()
    try:
        with rig:
            rig.start(workers=2)
            number = rig.fake.add_issue("acme/widget", "Burst", "", author="alice")
            statuses, back = _burst(rig, number, server)
            assert all(status == 202 for status in statuses), Counter(statuses)
            try:
                wait_for(lambda: len(_replies(rig, number)) == DELIVERIES, HANDLED_WITHIN, interval=1.0,
                         what="every reply")
            except TimeoutError:
                pytest.fail(f"{len(_replies(rig, number))} of {DELIVERIES} replies; Redis holds {_states(rig, server)}")
            took = time.monotonic() - back
            replies = _replies(rig, number)
            duplicated = sum(count - 1 for count in replies.values())
            print(f"\nFIGURE redis kill -9 ({'AOF everysec' if persistent else 'no persistence'}): {DELIVERIES} deliveries, "
                  f"all 202, killed at answer {KILL_AT}, down 5 s; {DELIVERIES - len(replies)} lost, {duplicated} "
                  f"duplicated; all handled {took:.1f} s after Redis returned")
            assert duplicated == 0 and took < HANDLED_WITHIN
            assert all(worker.poll() is None for worker in rig.workers)  # the workers waited for Redis, none exited
    finally:
        server.kill()
