"""The whole path with real processes: fake Gitea → receiver (gunicorn) → Redis → rq worker → fake Gitea."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis as redis_lib
from rq import Queue

from harness.rig import BOT, SECRET, Rig, wait_for
from tests.conftest import SHARED, comment_case
from harness.redis_server import RedisServer

pytestmark = pytest.mark.integration


def _bot_comments(rig: Rig, number: int = 7) -> list[dict]:
    return [c for c in rig.fake.list_comments("acme/widget", number) if c["user"]["login"] == BOT]


def _issue(rig: Rig) -> int:
    return rig.fake.add_issue("acme/widget", "Add rate limiting", "We need it.", author="alice")


def test_help_comment_gets_one_reply_and_the_reply_is_ignored(rig: Rig) -> None:
    number = _issue(rig)
    rig.fake.add_comment("acme/widget", number, "/help", author="alice")  # the fake delivers the webhook
    [reply] = wait_for(lambda: _bot_comments(rig, number), 30, what=f"the /help reply\n{rig.logs()}")
    assert "/plan approve" in reply["body"] and "/summarize" in reply["body"]
    # The bot's own comment was delivered back to the receiver and ignored: no second reply, no loop.
    wait_for(lambda: len([d for d in rig.fake.wait_deliveries(5) if d.event == "issue_comment"]) == 2, 10, what="deliveries")
    outcomes = [d for d in rig.fake.deliveries if d.event == "issue_comment"]
    assert [d.status for d in outcomes] == [202, 200]
    assert len(_bot_comments(rig, number)) == 1


def test_each_recorded_delivery_becomes_at_most_one_job_run_by_the_worker(rig: Rig, redis_url: str) -> None:
    folder = SHARED / "reference" / "gitea" / "payloads"
    if not folder.exists():
        pytest.skip(f"{folder} is absent: the shared reference data sits beside the repository")
    names = {"issue_comment-created-pull.json": ("issue_comment", "pull_request_comment")}
    queued = []
    for path in sorted(folder.glob("[!_]*.json")):
        event = path.stem.split("-")[0]
        name, fine = names.get(path.name, (event, event))
        response = rig.deliver(name, json.loads(path.read_bytes()), event_type=fine)
        assert response.status_code in (202, 204), (path.name, response.status_code, response.text)
        if response.status_code == 202:
            body = response.json()
            assert len(body["jobs"]) == 1, (path.name, body)
            queued += body["jobs"]
    help_case = comment_case("/help")
    rig.fake.add_issue("acme/widget", "seven", "", author="alice")  # not #7 necessarily; the reply goes to #7 below
    response = rig.deliver("issue_comment", help_case["body"])
    assert response.status_code == 202
    queued += response.json()["jobs"]
    connection = redis_lib.Redis.from_url(redis_url)
    queue = Queue(rig.queue_name, connection=connection)
    wait_for(lambda: queue.count == 0 and queue.started_job_registry.count == 0, 30, what="the worker to drain the queue")
    finished = set(queue.finished_job_registry.get_job_ids()) | set(queue.failed_job_registry.get_job_ids())
    assert set(queued) <= finished


def _comment(rig: Rig, number: int) -> int:
    """alice's `/help` on Gitea, whose delivery the test sends itself (jobs re-read comments by id)."""
    return rig.fake.add_comment("acme/widget", number, "/help", author="alice", deliver=False)


def test_duplicates_and_replays_run_once(rig: Rig) -> None:
    number = _issue(rig)
    case = comment_case("/help", comment_id=_comment(rig, number))
    case["body"]["issue"]["number"] = number
    first = rig.deliver("issue_comment", case["body"], delivery="same")
    again = rig.deliver("issue_comment", case["body"], delivery="same")
    replay = rig.deliver("issue_comment", case["body"], delivery="replayed-by-hand")
    assert first.status_code == again.status_code == replay.status_code == 202
    assert again.json()["jobs"] == replay.json()["jobs"] == []
    wait_for(lambda: _bot_comments(rig, number), 30, what="the reply")
    assert len(_bot_comments(rig, number)) == 1


def test_acknowledged_deliveries_survive_redis_going_down(tmp_path: Path, private_redis: RedisServer) -> None:
    rig = Rig(tmp_path / "rig", redis_url=private_redis.url)
    rig.seed()
    with rig:
        rig.start()
        number = _issue(rig)
        private_redis.stop()
        for _ in range(3):
            case = comment_case("/help", comment_id=_comment(rig, number))
            case["body"]["issue"]["number"] = number
            response = rig.deliver("issue_comment", case["body"])
            assert response.status_code == 202 and response.json()["message"].startswith("spooled"), response.text
        private_redis.start()  # same port: the drainer and the worker reconnect
        wait_for(lambda: len(_bot_comments(rig, number)) == 3, 60, what=f"3 replies after Redis came back\n{rig.logs()}")


def test_embedded_mode_needs_no_redis(embedded_rig: Rig) -> None:
    number = _issue(embedded_rig)
    embedded_rig.fake.add_comment("acme/widget", number, "/help", author="bob")
    wait_for(lambda: _bot_comments(embedded_rig, number), 30, what=f"the reply\n{embedded_rig.logs()}")


def test_replay_command_uses_the_same_path(embedded_rig: Rig, tmp_path: Path) -> None:
    number = _issue(embedded_rig)
    case = comment_case("/help", comment_id=_comment(embedded_rig, number))
    case["body"]["issue"]["number"] = number
    saved = tmp_path / "delivery.json"
    saved.write_text(json.dumps(case))
    result = subprocess.run([sys.executable, "-m", "bot", "replay", "--event", "issue_comment", str(saved)],
                            env=embedded_rig.env(), capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["status"] == 202 and outcome["finished"] is True
    assert len(_bot_comments(embedded_rig, number)) == 1
    forged = subprocess.run([sys.executable, "-m", "bot", "replay", "--event", "issue_comment", "--url",
                             f"{embedded_rig.url}/webhook", str(saved)], env=dict(embedded_rig.env(), TEABOT_WEBHOOK_SECRET="wrong"),
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert forged.returncode == 1 and "mismatch" in forged.stdout
    assert SECRET != "wrong"
