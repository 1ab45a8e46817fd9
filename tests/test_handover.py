"""POST /handover: a repository's credential hands its own failed runs to the server, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis as redis_lib

from bot.cli.step_env import handover_headers
from bot.config.keys import handover_key, rotate_handover_key
from bot.config.settings import ConfigError, Settings
from bot.receiver.app import create_app
from bot.receiver.generations import FileGenerations, RedisGenerations
from bot.security.handover import Credential, bearer, credential_for, parse_credential
from bot.worker.queues import RQQueue
from tests.conftest import TEST_SECRET, load_case, signed

KEY = "test-handover-key"
DEBUG_JOB = "bot.debug.jobs.debug_run_completed"


def good(repo: str = "acme/widget", generation: int = 1, key: str = KEY) -> str:
    return credential_for(key.encode(), repo, generation)


# --- the credential (pure) -------------------------------------------------------------------------------


def test_a_credential_names_its_repository_and_generation() -> None:
    token = good("Acme/Widget.js", 3)
    assert token.startswith("tbh1.3.acme/widget.js.") and token == good("acme/widget.js", 3)
    assert parse_credential(f"  {token}\n") == Credential("acme/widget.js", 3, token.rsplit(".", 1)[1])
    assert good(generation=2) != good() and good("acme/other") != good() and good(key="other") != good()


@pytest.mark.parametrize("text", [
    "", TEST_SECRET, "tbh1.0.acme/widget." + "0" * 64, "tbh1.1.acme/widget." + "0" * 63, "tbh2.1.acme/widget." + "0" * 64,
    "tbh1.1.acme." + "0" * 64, "tbh1.x.acme/widget." + "0" * 64, "tbh1.1.acme/wid get." + "0" * 64,
])
def test_malformed_credentials_do_not_parse(text: str) -> None:
    assert parse_credential(text) is None


@pytest.mark.parametrize(("repo", "generation"), [("widget", 1), ("a/b/c", 1), ("acme/widget", 0)])
def test_a_credential_needs_a_repository_and_a_generation(repo: str, generation: int) -> None:
    with pytest.raises(ValueError):
        credential_for(b"k", repo, generation)


@pytest.mark.parametrize(("header", "token"), [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", ""), ("", "")])
def test_bearer(header: str, token: str) -> None:
    assert bearer(header) == token


# --- the key and the generations ---------------------------------------------------------------------------


def test_the_key_is_generated_once_private_and_rotatable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = handover_key(settings)
    assert handover_key(settings) == first and settings.handover_key_file.stat().st_mode & 0o777 == 0o600
    rotate_handover_key(settings)
    assert handover_key(settings) != first and settings.handover_key_file.stat().st_mode & 0o777 == 0o600
    assert handover_key(settings.replace(handover_key="given")) == b"given"
    with pytest.raises(ConfigError, match="TEABOT_HANDOVER_KEY is set"):
        rotate_handover_key(settings.replace(handover_key="given"))


def test_the_key_is_never_the_webhook_secret_or_the_plan_key() -> None:
    for other in ("TEABOT_WEBHOOK_SECRET", "TEABOT_PLAN_KEY"):
        with pytest.raises(ConfigError, match="TEABOT_HANDOVER_KEY must differ"):
            Settings.from_env({"TEABOT_HANDOVER_KEY": "same", other: "same"})


def test_generations_in_a_file_and_in_redis(tmp_path: Path, redis: redis_lib.Redis) -> None:
    for store in (FileGenerations(tmp_path / "handover.sqlite3"), RedisGenerations(redis)):
        assert store.current("acme/widget") == 1
        assert store.rotate("Acme/Widget") == 2 and store.rotate("acme/widget") == 3
        assert store.current("ACME/widget") == 3 and store.current("acme/other") == 1
    assert FileGenerations(tmp_path / "handover.sqlite3").current("acme/widget") == 3  # durable


# --- the endpoint ----------------------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(webhook_secret=TEST_SECRET, handover_key=KEY, bot_login="teabot", data_dir=tmp_path)


@pytest.fixture
def rq_queue(redis: redis_lib.Redis) -> RQQueue:
    return RQQueue(redis, "teabot-test")


def hand_over(client, token: str, *, event: str = "workflow_run", body: dict | bytes | None = None, delivery: str = "h-1"):
    payload = load_case("workflow_run/completed_failure")["body"] if body is None else body
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = dict(handover_headers(token, delivery), **{"X-Gitea-Event": event})
    return client.post("/handover", data=data, headers=headers)


def test_a_good_credential_queues_the_debug_job_like_a_webhook(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue).test_client()
    response = hand_over(client, good())
    assert response.status_code == 202, response.get_json()
    [job_id] = response.get_json()["jobs"]
    job = rq_queue.rq.fetch_job(job_id)
    assert job.func_name == DEBUG_JOB and job.kwargs["repo"] == "acme/widget" and job.kwargs["run_id"] == 88
    # the same intake as a webhook delivery: a second hand-over, or Gitea's own delivery of the run, is a duplicate
    assert hand_over(client, good(), delivery="h-2").get_json()["message"].startswith("duplicate")
    headers, body = signed(load_case("workflow_run/completed_failure"))
    assert client.post("/webhook", data=body, headers=headers).get_json()["message"].startswith("duplicate")


@pytest.mark.parametrize(("token", "status", "said"), [
    (good("acme/other"), 403, "this credential is for acme/other, not acme/widget"),
    (good(key="another-server"), 401, "was not issued by this server"),
    (good()[:-4] + "0000", 401, "was not issued by this server"),  # a forged mac
    (TEST_SECRET, 401, "the webhook secret is not accepted here"),
    (KEY, 401, "TEABOT_HANDOVER_TOKEN"),  # nor the key itself
    ("", 401, "Authorization must be `Bearer tbh1."),
])
def test_refused_credentials_queue_nothing(settings: Settings, rq_queue: RQQueue, token: str, status: int,
                                           said: str) -> None:
    client = create_app(settings, queue=rq_queue).test_client()
    response = hand_over(client, token)
    assert response.status_code == status and said in response.get_json()["message"]
    assert rq_queue.rq.count == 0


def test_a_webhook_signature_is_no_credential(settings: Settings, rq_queue: RQQueue) -> None:
    headers, body = signed(load_case("workflow_run/completed_failure"))
    response = create_app(settings, queue=rq_queue).test_client().post("/handover", data=body, headers=headers)
    assert response.status_code == 401 and rq_queue.rq.count == 0


def test_a_rotated_generation_is_refused(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings, queue=rq_queue).test_client()
    FileGenerations(settings.data_dir / "handover.sqlite3").rotate("acme/widget")
    response = hand_over(client, good(generation=1))
    assert response.status_code == 401 and "generation 1, rotated out (generation 2 is current)" in response.get_json()["message"]
    assert hand_over(client, good(generation=2)).status_code == 202


def test_rotations_in_redis_are_seen_by_every_process(settings: Settings, rq_queue: RQQueue, redis_url: str,
                                                      redis: redis_lib.Redis) -> None:
    client = create_app(settings.replace(redis_url=redis_url), queue=rq_queue).test_client()
    RedisGenerations(redis).rotate("acme/widget")
    assert hand_over(client, good(generation=1)).status_code == 401
    assert hand_over(client, good(generation=2)).status_code == 202


def test_a_new_server_key_voids_every_credential_without_a_restart(settings: Settings, rq_queue: RQQueue) -> None:
    generated = settings.replace(handover_key=None)
    client = create_app(generated, queue=rq_queue).test_client()
    old = credential_for(handover_key(generated), "acme/widget", 1)
    rotate_handover_key(generated)
    assert hand_over(client, old).status_code == 401
    assert hand_over(client, credential_for(handover_key(generated), "acme/widget", 1)).status_code == 202


@pytest.mark.parametrize(("event", "body", "status", "said"), [
    ("issue_comment", None, 400, "a hand-over carries a workflow_run event only"),
    ("", None, 400, "X-Gitea-Event is 'missing'"),
    ("workflow_run", b"{not json", 400, "not valid JSON"),
    ("workflow_run", {"action": "completed", "workflow_run": {"id": 88}}, 400, "no repository.full_name"),
])
def test_anything_but_a_workflow_run_event_is_a_bad_request(settings: Settings, rq_queue: RQQueue, event: str,
                                                            body: dict | bytes | None, status: int, said: str) -> None:
    response = hand_over(create_app(settings, queue=rq_queue).test_client(), good(), event=event, body=body)
    assert response.status_code == status and said in response.get_json()["message"]
    assert rq_queue.rq.count == 0


def test_an_unreadable_generation_store_is_a_503_not_an_acceptance(settings: Settings, rq_queue: RQQueue) -> None:
    client = create_app(settings.replace(redis_url="redis://127.0.0.1:9"), queue=rq_queue).test_client()
    response = hand_over(client, good())
    assert response.status_code == 503 and "cannot check hand-over credentials now" in response.get_json()["message"]
    assert rq_queue.rq.count == 0
