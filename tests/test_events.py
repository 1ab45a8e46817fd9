"""Signature check, parsing and content keys of deliveries."""

import json
from urllib.parse import urlencode

import pytest

from bot.events import Event, PayloadError, SignatureError, is_bot_event, signature_of, verify_signature
from tests.conftest import TEST_SECRET, comment_case, load_case, shared_path, signed


def test_gitea_signature_test_vector_verifies() -> None:
    vector = json.loads(shared_path("reference", "gitea", "payloads", "_delivery-headers.issue_comment-created.json").read_text())
    body = shared_path("reference", "gitea", "payloads", vector["_body_file"]).read_bytes()
    assert signature_of(body, vector["_secret"]) == vector["headers"]["X-Gitea-Signature"]
    event = Event.from_http(vector["headers"], body, vector["_secret"])
    assert (event.name, event.type, event.action) == ("issue_comment", "issue_comment", "created")
    assert event.delivery_id == vector["headers"]["X-Gitea-Delivery"]


def test_hub_signature_256_alone_is_accepted() -> None:
    body = b'{"action": "opened"}'
    verify_signature(body, {"X-Hub-Signature-256": "sha256=" + signature_of(body, "s")}, "s")


@pytest.mark.parametrize(
    ("headers", "secret", "message"),
    [
        ({}, "s", "missing X-Gitea-Signature"),
        ({"X-Gitea-Signature": "00" * 32}, "s", "mismatch"),
        ({"X-Hub-Signature-256": "sha1=abc"}, "s", "missing"),
        ({"X-Gitea-Signature": "abc"}, None, "no webhook secret is configured"),
        ({"X-Gitea-Signature": "abc"}, "", "TEABOT_WEBHOOK_SECRET"),
    ],
)
def test_bad_signatures_are_refused(headers: dict, secret: str | None, message: str) -> None:
    with pytest.raises(SignatureError, match=message) as info:
        verify_signature(b"{}", headers, secret)
    assert info.value.status == 401


def test_signature_is_checked_before_the_body_is_parsed() -> None:
    # A forged, unparseable body must fail on the signature, never on JSON parsing.
    with pytest.raises(SignatureError):
        Event.from_http({"X-Gitea-Event": "push", "X-Gitea-Signature": "00"}, b"{not json", TEST_SECRET)


def test_form_deliveries_are_verified_on_the_signed_json() -> None:
    payload = json.dumps(load_case("push/push")["body"])
    body = urlencode({"payload": payload}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Gitea-Event": "push",
               "X-Gitea-Signature": signature_of(payload.encode(), TEST_SECRET)}
    assert Event.from_http(headers, body, TEST_SECRET).repo == "acme/widget"


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("text/plain", b"{}", "unsupported Content-Type"),
    ],
)
def test_unusable_content_is_a_payload_error(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        Event.from_http({"Content-Type": content_type, "X-Gitea-Event": "push"}, body, TEST_SECRET)


@pytest.mark.parametrize("body", [b"other=1", b"\xff\xfe", b"payload=1&payload=2"])
def test_a_form_body_without_its_signed_payload_is_unauthorized_not_parsed(body: bytes) -> None:
    with pytest.raises(SignatureError, match="one signed `payload` field"):
        Event.from_http({"Content-Type": "application/x-www-form-urlencoded", "X-Gitea-Event": "push"}, body, TEST_SECRET)


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b'{"truncated": ', {"X-Gitea-Event": "push"}, "not valid JSON"),
        (b"[1, 2]", {"X-Gitea-Event": "push"}, "not an object"),
        (b"{}", {}, "missing X-Gitea-Event"),
    ],
)
def test_malformed_but_signed_bodies_are_payload_errors(body: bytes, headers: dict, message: str) -> None:
    headers = dict(headers, **{"X-Gitea-Signature": signature_of(body, TEST_SECRET)})
    with pytest.raises(PayloadError, match=message) as info:
        Event.from_http(headers, body, TEST_SECRET)
    assert info.value.status == 400


def test_fine_event_type_marks_pull_request_comments() -> None:
    headers, body = signed(load_case("issue_comment/created_pull"))
    event = Event.from_http(headers, body, TEST_SECRET)
    assert (event.name, event.type, event.is_pull) == ("issue_comment", "pull_request_comment", True)
    issue = Event.from_http(*signed(load_case("issue_comment/created")), TEST_SECRET)
    assert not issue.is_pull


def test_content_key_ignores_the_delivery_id_but_not_the_change() -> None:
    case = load_case("issue_comment/created")
    first = Event.from_http(*signed(case, delivery="a"), TEST_SECRET)
    replay = Event.from_http(*signed(case, delivery="b"), TEST_SECRET)
    case["body"]["comment"]["updated_at"] = "2026-01-22T11:00:00Z"
    edited = Event.from_http(*signed(case, delivery="c"), TEST_SECRET)
    assert first.delivery_id != replay.delivery_id
    assert first.content_key == replay.content_key != edited.content_key


@pytest.mark.parametrize("case", ["workflow_run/completed_failure", "workflow_job/completed_failure", "status/failure",
                                  "push/push", "issues/opened"])
def test_every_recorded_event_has_a_stable_content_key(case: str) -> None:
    data = load_case(case)
    one = Event.from_http(*signed(data, delivery="x"), TEST_SECRET)
    two = Event.from_http(*signed(data, delivery="y"), TEST_SECRET)
    assert one.content_key == two.content_key and len(one.content_key) == 40
    assert one.repo == "acme/widget" and one.sender


def test_events_without_known_identity_key_on_their_body() -> None:
    one = Event("wiki", "wiki", "1", {"action": "created", "page": "Home"})
    two = Event("wiki", "wiki", "2", {"action": "created", "page": "Other"})
    assert one.content_key != two.content_key
    assert one.get("page", "missing") is None and one.action == "created"
    assert Event("push", "push", "1", {"action": 5}).action == ""


def test_bot_events_are_recognised_by_sender_author_or_marker() -> None:
    by_sender = Event.from_http(*signed(comment_case("/help", login="teabot")), TEST_SECRET)
    assert is_bot_event(by_sender, "TeaBot")
    marked = Event.from_http(*signed(comment_case("<!-- teabot:help -->\nlist")), TEST_SECRET)
    assert is_bot_event(marked, None)
    human = Event.from_http(*signed(comment_case("/help")), TEST_SECRET)
    assert not is_bot_event(human, "teabot") and not is_bot_event(human, None)
    case = comment_case("/help")
    case["body"]["comment"]["user"]["login"] = "teabot"
    assert is_bot_event(Event.from_http(*signed(case), TEST_SECRET), "teabot")
    push = Event.from_http(*signed(load_case("push/push")), TEST_SECRET)
    assert not is_bot_event(push, "teabot")


def test_header_lookup_is_case_insensitive() -> None:
    headers, body = signed(load_case("push/push"))
    lowered = {k.lower(): v for k, v in headers.items()}
    assert Event.from_http(lowered, body, TEST_SECRET).name == "push"


@pytest.mark.parametrize("case", ["workflow_run/completed_failure", "workflow_job/completed_failure", "status/failure"])
def test_pipeline_results_caused_by_the_bot_are_not_dropped(case: str) -> None:
    data = load_case(case)
    data["body"]["sender"]["login"] = "teabot"  # the bot's fix push started this run
    assert not is_bot_event(Event.from_http(*signed(data), TEST_SECRET), "teabot")


def test_a_rerun_that_keeps_its_run_id_and_attempt_is_new_work() -> None:
    """Gitea 1.26 re-runs in place (same id, run_attempt 0): the second failure must not be taken for a replay."""
    first = load_case("workflow_run/completed_failure")
    again = load_case("workflow_run/completed_failure")
    first["body"]["workflow_run"].update(run_attempt=0, completed_at="2026-02-01T10:00:00Z")
    again["body"]["workflow_run"].update(run_attempt=0, completed_at="2026-02-01T10:07:30Z")
    key = lambda case, delivery: Event.from_http(*signed(case, delivery=delivery), TEST_SECRET).content_key  # noqa: E731
    assert key(first, "d-1") == key(first, "d-2") != key(again, "d-3")
