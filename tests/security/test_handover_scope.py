"""Issue 14: whoever can write a workflow in one repository holds that repository's hand-over credential,
and with it can hand over nothing of another repository (the webhook secret no longer reaches workflows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.step import InlineQueue
from bot.cli.step_env import handover_headers
from bot.config.settings import Settings
from bot.receiver.app import create_app
from bot.security.handover import credential_for
from tests.conftest import TEST_SECRET, load_case

KEY = b"server-handover-key"
VICTIM, ATTACKER = "acme/widget", "mallory/tools"


@pytest.fixture
def server(tmp_path: Path):
    queue = InlineQueue(dry_run=True)  # records what the receiver would queue
    settings = Settings(webhook_secret=TEST_SECRET, handover_key=KEY.decode(), bot_login="teabot", data_dir=tmp_path)
    return create_app(settings, queue=queue).test_client(), queue


def victims_run(repository: str = VICTIM) -> dict:
    body = load_case("workflow_run/completed_failure")["body"]  # run 88 of acme/widget
    body["repository"]["full_name"] = repository
    return body


def post(client, token: str, body: dict, delivery: str):
    return client.post("/handover", data=json.dumps(body).encode(), headers=handover_headers(token, delivery))


def test_a_repositorys_credential_cannot_hand_over_another_repositorys_run(server) -> None:
    client, queue = server
    mine = credential_for(KEY, ATTACKER, 1)  # what mallory's workflows can read: their repository's secret
    response = post(client, mine, victims_run(), "a-1")
    assert response.status_code == 403 and "this credential is for mallory/tools, not acme/widget" in response.get_json()["message"]
    # re-labelling the credential for the victim breaks its mac
    relabelled = mine.replace(ATTACKER, VICTIM)
    assert post(client, relabelled, victims_run(), "a-2").status_code == 401
    # so does a higher generation, or the victim's name in other letter cases
    assert post(client, mine.replace("tbh1.1.", "tbh1.9."), victims_run(ATTACKER), "a-3").status_code == 401
    assert post(client, credential_for(KEY, ATTACKER, 1).replace(ATTACKER, "ACME/WIDGET"), victims_run(), "a-4").status_code == 401
    assert not queue.requests


def test_claiming_the_attackers_own_repository_debugs_only_that_repository(server) -> None:
    client, queue = server
    response = post(client, credential_for(KEY, ATTACKER, 1), victims_run(ATTACKER), "a-5")
    assert response.status_code == 202
    # the job re-reads run 88 from Gitea IN mallory/tools (repo-scoped API): acme/widget's run 88 is never touched
    [request] = queue.requests
    assert request.kwargs["repo"] == ATTACKER and request.kwargs["run_id"] == 88 and set(request.kwargs) == {
        "repo", "run_id", "delivery_id"}


def test_the_webhook_secret_opens_no_hand_over(server) -> None:
    client, queue = server
    from tests.conftest import signed

    headers, body = signed(load_case("workflow_run/completed_failure"))
    assert client.post("/handover", data=body, headers=headers).status_code == 401
    assert post(client, TEST_SECRET, victims_run(), "a-6").status_code == 401
    assert not queue.requests
