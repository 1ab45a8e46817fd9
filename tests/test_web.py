"""The receiver over flask's test client, with the real Redis behind RQ."""

from pathlib import Path

import pytest
import redis as redis_lib
from rq import Queue

from bot.config.settings import Settings
from bot.events import Event
from bot.worker.embedded import EmbeddedQueue
from bot.worker.queues import RQQueue
from bot.routing import Context, Router
from bot.receiver.app import create_app
from tests.conftest import TEST_SECRET, comment_case, load_case, signed

CALLS: list[dict] = []


def record(**kwargs: object) -> None:
    """A job for these tests: remembers its arguments."""
    CALLS.append(dict(kwargs))


def _router() -> Router:
    router = Router()

    @router.register("issue_comment", action="created")
    def on_comment(event: Event, ctx: Context) -> None:
        if str(event.get("comment", "body")).startswith("/"):
            ctx.enqueue(f"{__name__}.record", key=event.content_key, timeout=30, repo=event.repo, text=event.get("comment", "body"))

    return router


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(webhook_secret=TEST_SECRET, bot_login="teabot", data_dir=tmp_path, max_body_bytes=64 * 1024)


@pytest.fixture
def rq_queue(redis: redis_lib.Redis) -> RQQueue:
    return RQQueue(redis, "teabot-test")


def _post(client, case: dict, *, delivery: str = "d-1", secret: str = TEST_SECRET):
    headers, body = signed(case, secret, delivery=delivery)
    return client.post("/webhook", data=body, headers=headers)


def test_a_command_becomes_one_rq_job(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    response = _post(client, comment_case("/help"))
    assert response.status_code == 202
    [job_id] = response.get_json()["jobs"]
    job = rq_queue.rq.fetch_job(job_id)
    assert job.kwargs == {"repo": "acme/widget", "text": "/help"} and job.timeout == 30
    assert job.retries_left == 3 and rq_queue.rq.count == 1


def test_duplicates_and_replays_collapse_into_one_job(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    case = comment_case("/help")
    assert _post(client, case, delivery="a").status_code == 202
    again = _post(client, case, delivery="a")
    replay = _post(client, case, delivery="b")  # Gitea's manual replay: same body, new delivery id
    assert again.get_json()["message"].startswith("duplicate") and replay.get_json()["message"].startswith("duplicate")
    assert rq_queue.rq.count == 1


@pytest.mark.parametrize(
    ("mutate", "status", "message"),
    [
        (lambda h, b: (dict(h, **{"X-Gitea-Signature": "0" * 64}), b"{not json at all"), 401, "mismatch"),
        (lambda h, b: ({k: v for k, v in h.items() if "Signature" not in k}, b), 401, "missing X-Gitea-Signature"),
        (lambda h, b: (dict(h, **{"Content-Type": "text/xml"}), b), 400, "unsupported Content-Type"),
    ],
)
def test_refused_deliveries(settings: Settings, rq_queue: RQQueue, mutate, status: int, message: str) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    headers, body = mutate(*signed(comment_case("/help")))
    response = client.post("/webhook", data=body, headers=headers)
    assert response.status_code == status and message in response.get_json()["message"]
    assert rq_queue.rq.count == 0


def test_truncated_json_is_400(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    headers, body = signed(comment_case("/help"))
    body = body[: len(body) // 2]
    from bot.events import signature_of

    headers["X-Gitea-Signature"] = signature_of(body, TEST_SECRET)
    response = client.post("/webhook", data=body, headers=headers)
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["message"]


def test_oversized_bodies_are_413(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    case = comment_case("/help " + "x" * 70_000)
    response = _post(client, case)
    assert response.status_code == 413 and "TEABOT_MAX_BODY_BYTES" in response.get_json()["message"]


def test_unknown_events_and_non_commands_are_204(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    assert _post(client, load_case("push/push")).status_code == 204
    assert _post(client, comment_case("just talking")).status_code == 204
    assert rq_queue.rq.count == 0


def test_the_bots_own_comments_are_ignored(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    response = _post(client, comment_case("/help", login="teabot"))
    assert response.status_code == 200 and "caused by the bot" in response.get_json()["message"]
    assert rq_queue.rq.count == 0


def test_redis_down_spools_then_drains_once_back(settings: Settings, redis_url: str, rq_queue: RQQueue) -> None:
    down = RQQueue(redis_lib.Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2), "teabot-test")
    app = create_app(settings, queue=down, router=_router())
    client = app.test_client()
    responses = [_post(client, comment_case(f"/help {n}", comment_id=200 + n), delivery=f"d{n}") for n in range(3)]
    assert [r.status_code for r in responses] == [202] * 3
    assert all(r.get_json()["message"].startswith("spooled") for r in responses)
    health = client.get("/healthz").get_json()
    assert health["spool_depth"] == 3 and health["queue_ok"] is False and health["status"].startswith("degraded")
    intake = app.extensions["teabot"]
    assert intake.drain() == 0 and intake.spool.depth() == 3  # still down: nothing lost
    intake.queue = rq_queue
    assert intake.drain() == 3 and intake.spool.depth() == 0
    texts = sorted(job.kwargs["text"] for job in Queue("teabot-test", connection=rq_queue.connection).jobs)
    assert texts == ["/help 0", "/help 1", "/help 2"]


def test_unwritable_spool_and_no_queue_is_503(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    settings = Settings(webhook_secret=TEST_SECRET, data_dir=tmp_path / "data")
    down = RQQueue(redis_lib.Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2), "q")
    response = _post(create_app(settings, queue=down, router=_router()).test_client(), comment_case("/help"))
    assert response.status_code == 503 and "spool" in response.get_json()["message"]


def test_embedded_queue_runs_the_job_in_process(settings: Settings) -> None:
    CALLS.clear()
    queue = EmbeddedQueue()
    client = create_app(settings, queue=queue, router=_router()).test_client()
    assert _post(client, comment_case("/help")).status_code == 202
    assert _post(client, comment_case("/help"), delivery="other").get_json()["message"].startswith("duplicate")
    assert queue.join(5)
    assert CALLS == [{"repo": "acme/widget", "text": "/help"}]


def test_health_metrics_and_ping(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue, router=_router()).test_client()
    _post(client, comment_case("/help"))
    _post(client, load_case("push/push"))
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["queue_ok"] is True and health.get_json()["model"] == "model-free"
    text = client.get("/metrics").get_data(as_text=True)
    assert 'teabot_deliveries_total{event="issue_comment",outcome="queued"} 1.0' in text
    assert 'teabot_deliveries_total{event="push",outcome="unhandled"} 1.0' in text
    assert 'teabot_jobs{state="queued"} 1.0' in text and "teabot_enqueue_seconds_count 1.0" in text
    assert client.get("/ping").status_code == 204
    assert client.get("/webhook").status_code == 405


def test_only_external_ci_statuses_become_debug_jobs(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue).test_client()
    actions = load_case("status/failure")  # Gitea Actions' own status for a job: the workflow_run events cover it
    assert _post(client, actions, delivery="s-1").status_code == 204
    jenkins = load_case("status/failure")
    jenkins["body"].update(context="ci/jenkins", target_url="https://jenkins.example.com/job/widget/3/")
    jenkins["body"]["sender"]["login"] = "jenkins"
    response = _post(client, jenkins, delivery="s-2")
    assert response.status_code == 202
    [job_id] = response.get_json()["jobs"]
    job = rq_queue.rq.fetch_job(job_id)
    assert job.func_name == "bot.debug.jobs.debug_status" and job.kwargs["repo"] == jenkins["body"]["repository"]["full_name"]
    assert job.kwargs["status"]["target_url"] == "https://jenkins.example.com/job/widget/3/"
    assert job.kwargs["status"]["sender"] == {"login": "jenkins"} and job.kwargs["status"]["state"] == "failure"
    pending = load_case("status/failure")
    pending["body"].update(context="ci/jenkins", target_url="https://jenkins.example.com/job/widget/4/", state="pending")
    assert _post(client, pending, delivery="s-3").status_code == 204


def test_a_job_of_a_fix_branch_may_resume_a_session(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue).test_client()
    case = load_case("workflow_job/completed_failure")
    case["body"]["workflow_job"].update(head_branch="teabot/fix/ci-7", conclusion="success")
    response = _post(client, case, delivery="j-1")
    assert response.status_code == 202
    job = rq_queue.rq.fetch_job(response.get_json()["jobs"][0])
    assert job.func_name == "bot.debug.jobs.debug_run_completed" and job.kwargs["run_id"] == case["body"]["workflow_job"]["run_id"]
    green = load_case("workflow_job/completed_failure")
    green["body"]["workflow_job"].update(conclusion="success")  # a green job elsewhere: nothing to do
    assert _post(client, green, delivery="j-2").status_code == 204
