"""Metrics that add up: counters across gunicorn workers, what job workers count, /healthz's truth."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_lib
from rq import Queue

from bot.config.settings import Settings
from bot.receiver.health import Cached, Health, token_state
from bot.receiver.metrics import Metrics
from bot.worker.telemetry import CountingTransport, RedisTelemetry, families, read_samples, route_template
from bot.worker.metered import MeteredWorker
from bot.worker.queues import RQQueue
from harness.fake_gitea import FakeGitea
from harness.rig import free_port, wait_for
from tests.conftest import load_case, signed

SECRET = "metrics-secret"


def ok_job() -> str:
    return "done"


def bad_job() -> None:
    raise ValueError("permanent")


FLAKY: list[int] = []


def flaky_job() -> None:
    FLAKY.append(1)
    if len(FLAKY) == 1:
        raise ConnectionError("Gitea went away for a moment")


@pytest.mark.parametrize(("path", "route"), [
    ("/api/v1/repos/acme/app/issues/12/comments", "/repos/{owner}/{repo}/issues/{n}/comments"),
    ("/api/v1/repos/acme/app/contents/src/deep/x.py", "/repos/{owner}/{repo}/contents/{path}"),
    ("/api/v1/repos/a/b/branches/teabot/fix/12", "/repos/{owner}/{repo}/branches/{ref}"),
    ("/api/v1/repos/a/b/statuses/" + "ab" * 20, "/repos/{owner}/{repo}/statuses/{ref}"),
    ("/api/v1/repos/a/b/actions/runs/88/jobs?limit=5", "/repos/{owner}/{repo}/actions/runs/{n}/jobs"),
    ("/api/v1/users/alice/tokens", "/users/{name}/tokens"),
    ("/api/v1/user", "/user"),
])
def test_gitea_routes_are_templated_so_labels_stay_bounded(path: str, route: str) -> None:
    assert route_template(path) == route


def test_counting_transport_counts_gitea_calls_and_model_tokens(redis: redis_lib.Redis) -> None:
    telemetry = RedisTelemetry(redis)

    def gitea(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404 if request.url.path.endswith("/9") else 200, json={})

    def model(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"usage": {"prompt_tokens": 120, "completion_tokens": 30}})

    with httpx.Client(transport=CountingTransport(httpx.MockTransport(gitea), telemetry, "gitea")) as http:
        for number in (1, 2, 9):
            http.get(f"http://gitea.test/api/v1/repos/acme/app/issues/{number}")
    with httpx.Client(transport=CountingTransport(httpx.MockTransport(model), telemetry, "model")) as http:
        http.post("http://model.test/v1/chat/completions", headers={"X-Teabot-Task": "plan"}, json={})
    samples = read_samples(redis)
    route = "/repos/{owner}/{repo}/issues/{n}"
    assert samples[("teabot_gitea_requests", (("method", "GET"), ("route", route), ("status", "2xx")))] == 2
    assert samples[("teabot_gitea_requests", (("method", "GET"), ("route", route), ("status", "4xx")))] == 1
    assert samples[("teabot_model_tokens", (("kind", "prompt"), ("task", "plan")))] == 120


def test_a_metered_worker_counts_jobs_by_outcome_and_time(redis: redis_lib.Redis, redis_url: str) -> None:
    queue = Queue("teabot", connection=redis)
    queue.enqueue(ok_job)
    queue.enqueue(ok_job)
    queue.enqueue(bad_job)
    worker = MeteredWorker([queue], connection=redis)
    worker.telemetry = RedisTelemetry(redis)
    worker.work(burst=True)
    metrics = Metrics()
    metrics.watch_queue(RQQueue(redis))
    text = metrics.exposition().decode()
    assert 'teabot_job_runs_total{job="ok_job",outcome="finished"} 2.0' in text
    assert 'teabot_job_runs_total{job="bad_job",outcome="failed"} 1.0' in text
    assert 'teabot_job_seconds_count{job="ok_job"} 2.0' in text
    assert 'teabot_job_seconds_bucket{job="ok_job",le="+Inf"} 2.0' in text
    assert 'teabot_jobs{state="failed"} 1.0' in text and "teabot_workers 0.0" in text
    assert {f.name for f in families(redis)} == {"teabot_job_runs", "teabot_job_seconds", "teabot_gitea_requests",
                                                 "teabot_model_tokens"}


def test_the_embedded_queue_counts_jobs_as_workers_do() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from bot.worker.embedded import EmbeddedQueue
    from bot.worker.queues import JobRequest
    from bot.worker.telemetry import LocalTelemetry

    registry = CollectorRegistry()
    queue = EmbeddedQueue(workers=1)
    queue.telemetry = LocalTelemetry(registry=registry)
    FLAKY.clear()
    queue.submit(JobRequest(f"{__name__}.ok_job", "a", {}, 30))
    queue.submit(JobRequest(f"{__name__}.flaky_job", "b", {}, 30, (0,)))
    assert queue.join(10)
    text = generate_latest(registry).decode()
    assert 'teabot_job_runs_total{job="ok_job",outcome="finished"} 1.0' in text
    assert 'teabot_job_runs_total{job="flaky_job",outcome="scheduled"} 1.0' in text  # the try that will be retried
    assert 'teabot_job_runs_total{job="flaky_job",outcome="finished"} 1.0' in text
    assert 'teabot_job_seconds_count{job="flaky_job"} 2.0' in text


# --- /healthz ---------------------------------------------------------------------------------------------

@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    fake = FakeGitea("1.25.4")
    fake.add_user("teabot", "bot-token")
    yield fake
    fake.stop()


def test_token_validity_is_asked_from_gitea(fake: FakeGitea) -> None:
    transport = httpx.WSGITransport(app=fake.app)
    base = Settings(gitea_url="http://gitea.test")
    assert token_state(base, transport).state == "unset"
    assert token_state(base.replace(gitea_token="bot-token"), transport).login == "teabot"
    rejected = token_state(base.replace(gitea_token="nope"), transport)
    assert rejected.state == "rejected" and "TEABOT_BOT_LOGIN" not in rejected.detail
    assert token_state(base.replace(gitea_url="http://127.0.0.1:9", gitea_token="t")).state == "unknown"


def test_the_token_answer_is_cached() -> None:
    now = [0.0]
    calls = []
    cached = Cached(lambda: calls.append(1) or len(calls), ttl=60, clock=lambda: now[0])
    assert (cached.get(), cached.get()) == (1, 1)
    now[0] = 61
    assert cached.get() == 2


def test_health_is_degraded_without_workers_or_with_a_rejected_token(fake: FakeGitea, redis: redis_lib.Redis) -> None:
    transport = httpx.WSGITransport(app=fake.app)
    settings = Settings(gitea_url="http://gitea.test", gitea_token="nope")
    report = Health(settings, RQQueue(redis), transport=transport).report()
    assert report["workers"] == 0 and report["gitea_token"] == "rejected"
    assert "no worker serves the queue" in report["status"] and "token rejected" in report["status"]
    good = Health(settings.replace(gitea_token="bot-token"), RQQueue(redis), transport=transport)
    from rq import Worker

    worker = Worker([Queue("teabot", connection=redis)], connection=redis)
    worker.register_birth()
    try:
        assert good.report()["status"] == "ok"
    finally:
        worker.register_death()


# --- across gunicorn workers --------------------------------------------------------------------------------

def test_metrics_add_up_across_gunicorn_workers(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "TEABOT_WEBHOOK_SECRET": SECRET, "TEABOT_BOT_LOGIN": "teabot",
           "TEABOT_DATA_DIR": str(tmp_path / "data"), "TEABOT_GITEA_URL": "http://127.0.0.1:9"}
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--workers", "3",
                               "--threads", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/ping"), 30, what="teabot serve")
        for n in range(9):
            headers, body = signed(load_case("push/push"), SECRET, delivery=f"d-{n}")
            assert httpx.post(f"{base}/webhook", headers=headers, content=body).status_code == 204
        totals = set()
        for _ in range(9):
            text = httpx.get(f"{base}/metrics").text
            found = re.search(r'teabot_deliveries_total\{event="push",outcome="unhandled"\} (\S+)', text)
            totals.add(found and found[1])
        assert totals == {"9.0"}
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    text = stderr.decode()
    assert '"logger": "gunicorn.error", "message": "Booting worker' in text  # gunicorn's lines are JSON too
    assert not re.search(r"^\[\d{4}-", text, re.M)  # and none in gunicorn's own text format
    assert "control" not in text.lower()  # no control socket, so no error about one


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 204
    except httpx.HTTPError:
        return False


def test_the_metrics_directory_is_fresh_and_only_its_creator_removes_it(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from prometheus_client import values

    from bot.receiver.gunicorn_app import _remove_if_owner, prepare_metrics_dir

    monkeypatch.setattr(values, "ValueClass", values.ValueClass)  # prepare switches it to multiprocess
    given = tmp_path / "given"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(given))
    assert prepare_metrics_dir() == given and list(given.iterdir()) == []  # an earlier run's counters are gone
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    own = prepare_metrics_dir()
    assert own != given and own.is_dir() and os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(own)
    _remove_if_owner(own, os.getpid() + 1)  # a forked gunicorn worker exiting
    assert own.is_dir()
    _remove_if_owner(own, os.getpid())
    assert not own.exists()


def test_healthz_says_why_it_is_degraded_and_strict_mode_fails(tmp_path: Path, redis: redis_lib.Redis) -> None:
    from bot.receiver.app import create_app

    client = create_app(Settings(webhook_secret="s", data_dir=tmp_path), queue=RQQueue(redis)).test_client()
    relaxed = client.get("/healthz")
    assert relaxed.status_code == 200  # deliveries are still accepted
    body = relaxed.get_json()
    assert body["workers"] == 0 and body["gitea_token"] == "unset"
    assert body["status"] == ("degraded: no worker serves the queue (start `teabot worker`); "
                              "token unset: TEABOT_GITEA_TOKEN is not set")
    assert client.get("/healthz?strict=1").status_code == 503
