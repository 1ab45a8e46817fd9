"""Hostile but validly signed deliveries and repository files: a 4xx or a config error, never a 5xx or a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from bot.config.playbooks import PlaybookError, effective_playbook
from bot.config.repo import parse_repo_config
from bot.config.settings import ConfigError, Settings
from bot.events import signature_of
from bot.receiver.app import create_app
from bot.receiver.metrics import KNOWN_EVENTS
from harness.rig import SECRET, Rig
from tests.conftest import RecordingQueue, comment_case

pytestmark = pytest.mark.timeout(120)
EVENTS = sorted(KNOWN_EVENTS - {"?"}) + ["made_up_event"]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=30)




@pytest.fixture
def app_and_queue(tmp_path: Path) -> tuple[Any, RecordingQueue]:
    queue = RecordingQueue()
    settings = Settings(webhook_secret=SECRET, bot_login="teabot", data_dir=tmp_path, max_body_bytes=256 * 1024)
    return create_app(settings, queue=queue), queue


def _post(client: Any, event: str, body: bytes, *, content_type: str = "application/json", signature: str | None = None) -> Any:
    signed = body if content_type == "application/json" else json.dumps(json.loads(body)).encode()
    headers = {"Content-Type": content_type, "X-Gitea-Event": event, "X-Gitea-Delivery": "d",
               "X-Gitea-Signature": signature or signature_of(signed, SECRET)}
    if content_type != "application/json":
        body = urlencode({"payload": signed.decode()}).encode()
    return client.post("/webhook", data=body, headers=headers)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.sampled_from(EVENTS), payload=st.dictionaries(st.sampled_from(
    ["action", "repository", "issue", "comment", "pull_request", "sender", "workflow_run", "number", "sha", "x"]),
    JSON, max_size=6))
def test_any_signed_json_object_is_answered_below_500(app_and_queue: tuple[Any, RecordingQueue], event: str, payload: dict) -> None:
    app, _ = app_and_queue
    response = _post(app.test_client(), event, json.dumps(payload).encode())
    assert response.status_code < 500, (event, payload, response.get_json())


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300), event=st.sampled_from(EVENTS))
def test_any_bytes_are_answered_below_500_and_unsigned_ones_401(app_and_queue: tuple[Any, RecordingQueue], body: bytes, event: str) -> None:
    app, _ = app_and_queue
    client = app.test_client()
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        headers = {"Content-Type": content_type, "X-Gitea-Event": event, "X-Gitea-Signature": "0" * 64}
        assert client.post("/webhook", data=body, headers=headers).status_code == 401
    signed = client.post("/webhook", data=body, headers={"Content-Type": "application/json", "X-Gitea-Event": event,
                                                          "X-Gitea-Signature": signature_of(body, SECRET)})
    assert signed.status_code < 500


@pytest.mark.parametrize(("body", "message"), [
    (b'{"a":' + b"[" * 1200 + b"]" * 1200 + b"}", "nested deeper"),
    (b"[" * 100_000, "nested deeper"),
    (b'{"a": ' + b"7" * 5000 + b"}", "digits"),
    (b'{"a": NaN}', "not JSON"),
    (json.dumps({"action": "created", "repository": {"full_name": "../.."}}).encode(), "owner/name"),
    (json.dumps({"action": "created", "repository": {"full_name": "acme/.."}}).encode(), "owner/name"),
])
def test_hostile_signed_bodies_get_a_clear_400(app_and_queue: tuple[Any, RecordingQueue], body: bytes, message: str) -> None:
    app, queue = app_and_queue
    response = _post(app.test_client(), "issue_comment", body)
    assert response.status_code == 400 and message in response.get_json()["message"]
    assert queue.requests == []


def test_a_bad_repository_name_never_reaches_a_job(app_and_queue: tuple[Any, RecordingQueue]) -> None:
    app, queue = app_and_queue
    case = comment_case("/help")
    case["body"]["repository"]["full_name"] = "../.."
    assert _post(app.test_client(), "issue_comment", json.dumps(case["body"]).encode()).status_code == 400
    assert queue.requests == []


def test_form_deliveries_are_verified_before_they_are_parsed(app_and_queue: tuple[Any, RecordingQueue]) -> None:
    app, queue = app_and_queue
    client = app.test_client()
    body = json.dumps(comment_case("/help")["body"]).encode()
    form = "application/x-www-form-urlencoded"
    assert _post(client, "issue_comment", body, content_type=form, signature="0" * 64).status_code == 401
    assert client.post("/webhook", data=b"%%%", headers={"Content-Type": form, "X-Gitea-Event": "issues",
                                                         "X-Gitea-Signature": "0" * 64}).status_code == 401
    assert _post(client, "issue_comment", body, content_type=form).status_code == 202 and len(queue.requests) == 1


def test_unknown_event_names_share_one_metric_label(app_and_queue: tuple[Any, RecordingQueue]) -> None:
    app, _ = app_and_queue
    client = app.test_client()
    before = len(client.get("/metrics").data)
    for n in range(500):
        _post(client, f"invented_{n}", b"{}")
    exposition = client.get("/metrics").data.decode()
    assert 'event="other"' in exposition and "invented_" not in exposition
    assert len(exposition) < before + 2000


def test_a_chunked_body_over_the_limit_is_413_not_a_signature_error(tmp_path: Path) -> None:
    rig = Rig(tmp_path / "rig", redis_url=None, extra_env={"TEABOT_MAX_BODY_BYTES": str(1024 * 1024)})
    rig.seed()
    with rig:
        rig.start()
        body = json.dumps({"pad": "x" * (10 * 1024 * 1024)}).encode()
        headers = {"Content-Type": "application/json", "X-Gitea-Event": "issues",
                   "X-Gitea-Signature": signature_of(body, SECRET)}

        def chunks() -> Any:
            for start in range(0, len(body), 65536):
                yield body[start:start + 65536]

        try:
            response = httpx.post(f"{rig.url}/webhook", content=chunks(), headers=headers, timeout=30)
        except httpx.HTTPError:  # the server may close the connection after answering
            pytest.fail("no answer to a chunked body over the limit")
        assert response.status_code == 413, response.text
        small = json.dumps(comment_case("/help")["body"]).encode()
        ok = httpx.post(f"{rig.url}/webhook", content=iter([small]), timeout=10, headers={
            "Content-Type": "application/json", "X-Gitea-Event": "made_up", "X-Gitea-Signature": signature_of(small, SECRET)})
        assert ok.status_code == 204  # a chunked body within the limit is read whole and verified


# --- repository YAML ------------------------------------------------------------------------------------

@hypothesis_settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n  ,?0.")), max_size=200))
def test_any_repo_config_text_is_parsed_or_refused_with_the_file_named(text: str) -> None:
    try:
        parse_repo_config(text)
    except ConfigError as exc:
        assert str(exc).startswith(".gitea/teabot.yaml:")


@pytest.mark.parametrize("deep", [
    "a:\n" + "".join("  " * (n + 1) + f"k{n}:\n" for n in range(10_000)),
    "[" * 10_000 + "]" * 10_000,
    "a: " + "{b: " * 10_000 + "1" + "}" * 10_000,
])
def test_deep_yaml_is_a_config_error_naming_the_file_and_key(deep: str) -> None:
    with pytest.raises(ConfigError, match=r"^\.gitea/teabot\.yaml: .*nested deeper than 32 levels at key "):
        parse_repo_config(deep)
    bundled = (Path(__file__).resolve().parents[2] / "bot" / "bundled" / "workflows" / "plan.yaml").read_text()
    with pytest.raises(PlaybookError) as info:
        effective_playbook(bundled, deep, file="plan.yaml", override_file=".gitea/teabot/workflows/plan.yaml")
    assert info.value.file == ".gitea/teabot/workflows/plan.yaml" and "nested deeper" in str(info.value)
    assert info.value.key and info.value.key != "(yaml)"
