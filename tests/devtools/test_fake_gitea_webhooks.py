"""Webhooks of the fake Gitea: Gitea's headers and signatures, payload shapes, real HTTP delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_gitea import FakeGitea
from harness.fake_gitea.webhooks import delivery_headers, encode_body, hook_wants
from bot.forge import GiteaClient, make_forge
from tests.devtools.receiver import Receiver

PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "gitea" / "payloads"
REPO = "acme/widget"
SECRET = "webhook-secret"
# Declared in swagger.v1.json (PullRequest) but missing from the hand-built example deliveries.
SWAGGER_ONLY = {"review_comments"}


def example(name: str) -> Any:
    path = PAYLOADS / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared example deliveries sit beside the repository (../shared)")
    return json.loads(path.read_bytes())


@pytest.fixture
def captured() -> list[httpx.Request]:
    return []


@pytest.fixture
def fake(captured: list[httpx.Request]) -> Iterator[FakeGitea]:
    """A fake whose deliveries are captured in-process; teabot may write, alice is the admin."""
    def accept(request: httpx.Request) -> httpx.Response:
        request.read()
        captured.append(request)
        return httpx.Response(200)

    gitea = FakeGitea("1.25.4", webhook_transport=httpx.MockTransport(accept))
    gitea.add_user("teabot", "bot-token")
    gitea.add_user("alice", "alice-token")
    gitea.add_repo(REPO, files={"src/app.py": "x = 1\n", ".gitea/workflows/ci.yml": "on: [push]\n"})
    gitea.set_permission(REPO, "teabot", "write")
    gitea.add_hook(REPO, "http://receiver.test/webhook", SECRET,
                   ["issues", "pull_request", "push", "create", "status", "workflow_run", "workflow_job"])
    yield gitea
    gitea.stop()


def as_user(fake: FakeGitea, token: str) -> GiteaClient:
    return make_forge(Settings(gitea_url=fake.url, gitea_token=token), transport=httpx.WSGITransport(app=fake.app))


def events(fake: FakeGitea) -> list[tuple[str, dict[str, Any]]]:
    return [(d.event_type, d.payload) for d in fake.wait_deliveries()]


def test_signing_reproduces_giteas_recorded_delivery() -> None:
    vector = example("_delivery-headers.issue_comment-created.json")
    body = (PAYLOADS / vector["_body_file"]).read_bytes()
    assert encode_body(json.loads(body)) == body  # byte for byte, like Go's json.MarshalIndent
    headers = delivery_headers("issue_comment", vector["headers"]["X-Gitea-Delivery"], body, vector["_secret"])
    assert headers == {k: v for k, v in vector["headers"].items() if k != "Content-Type"}
    unsigned = delivery_headers("issue_comment", "id", body, "")
    assert {k: unsigned[k] for k in vector["no_secret_variant"]} == vector["no_secret_variant"]


@pytest.mark.parametrize(("hook_events", "event_type", "wanted"), [
    (["issues"], "issue_comment", True), (["issues"], "issue_label", True), (["issues_only"], "issue_comment", False),
    (["pull_request"], "pull_request_comment", True), (["pull_request"], "pull_request_sync", True),
    (["issue_comment"], "pull_request_comment", False), ([], "push", True), ([], "issues", False),
    (["workflow_run"], "workflow_run", True), (["workflow_run"], "workflow_job", False),
])
def test_hook_event_names(hook_events: list[str], event_type: str, wanted: bool) -> None:
    assert hook_wants(hook_events, event_type) is wanted


def test_signed_delivery_to_a_real_receiver(receiver: Receiver) -> None:
    with FakeGitea("1.25.4") as fake:
        fake.add_user("teabot", "bot-token")
        fake.add_user("alice", "alice-token")
        fake.add_repo(REPO)
        number = fake.add_issue(REPO, "Epic", author="alice")
        fake.add_hook(REPO, receiver.url, SECRET, ["issues"])
        base = fake.start()
        forge = make_forge(Settings(gitea_url=base, gitea_token="bot-token"))
        forge.create_comment(REPO, number, "/help")
        [delivery] = fake.wait_deliveries()
    assert delivery.status == 202 and delivery.error is None
    [(headers, body)] = receiver.received
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Gitea-Signature"], expected)
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert (headers["X-Gitea-Event"], headers["X-Gitea-Event-Type"]) == ("issue_comment", "issue_comment")
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["action"] == "created" and payload["comment"]["body"] == "/help"
    assert payload["sender"]["login"] == "teabot" and payload["is_pull"] is False  # the bot's own comment


def test_seeded_user_actions_are_delivered(fake: FakeGitea) -> None:
    number = fake.add_issue(REPO, "Epic", author="alice")
    fake.add_comment(REPO, number, "/help", author="alice")
    delivered = fake.wait_deliveries()
    assert [(d.event, d.event_type, d.payload["action"], d.status) for d in delivered] == [
        ("issues", "issues", "opened", 200), ("issue_comment", "issue_comment", "created", 200)]
    assert delivered[1].payload["sender"]["login"] == "alice"
    assert [c["body"] for c in fake.list_comments(REPO, number)] == ["/help"]


def test_failed_deliveries_are_recorded_not_retried() -> None:
    with FakeGitea() as fake:
        fake.add_user("alice", "alice-token")
        fake.add_repo(REPO)
        fake.add_hook(REPO, "http://127.0.0.1:9/nothing-listens-here", SECRET, ["issues"])
        as_user(fake, "alice-token").create_issue(REPO, "hello")
        [delivery] = fake.wait_deliveries()
    assert delivery.status is None and "ConnectError" in delivery.error


def keys_match(ours: dict[str, Any], theirs: dict[str, Any], *nested: str) -> None:
    """Same top-level keys in the same order, and the same keys in the named nested objects."""
    assert list(ours) == list(theirs)
    for key in nested:
        assert set(ours[key]) - SWAGGER_ONLY == set(theirs[key]), key


def test_comment_payloads_match_giteas(fake: FakeGitea, captured: list[httpx.Request]) -> None:
    number = fake.add_issue(REPO, "Epic", author="alice")
    pull = fake.add_issue(REPO, "PR", author="alice", is_pull=True)
    bot = as_user(fake, "bot-token")
    comment = bot.create_comment(REPO, number, "/plan")
    bot.create_comment(REPO, pull, "/debug")
    bot.edit_comment(REPO, comment["id"], "/plan v2")
    (opened_type, _), (pull_opened_type, _), (issue_type, on_issue), (pull_type, on_pull), (_, edited) = events(fake)
    assert (opened_type, pull_opened_type) == ("issues", "pull_request")  # add_issue acts like a user in the UI
    assert (issue_type, pull_type) == ("issue_comment", "pull_request_comment")
    keys_match(on_issue, example("issue_comment-created.json"), "issue", "comment", "repository", "sender")
    keys_match(on_pull, example("issue_comment-created-pull.json"), "issue", "pull_request", "comment", "sender")
    # modules/structs/hook.go ChangesPayload: added_labels/removed_labels are not omitempty (null here)
    assert edited["action"] == "edited" and edited["changes"] == {"body": {"from": "/plan"}, "added_labels": None,
                                                                  "removed_labels": None}
    assert captured[3].headers["X-Gitea-Event"] == "issue_comment"
    assert captured[3].headers["X-Gitea-Event-Type"] == "pull_request_comment"


def test_issue_and_label_payloads(fake: FakeGitea) -> None:
    alice = as_user(fake, "alice-token")
    issue = alice.create_issue(REPO, "Add rate limiting", "body")
    label = fake.add_label(REPO, "kind/bug")
    as_user(fake, "bot-token").add_labels(REPO, issue["number"], [label])
    (opened_type, opened), (label_type, labelled) = events(fake)
    keys_match(opened, example("issues-opened.json"), "issue", "repository", "sender")
    assert (opened_type, opened["action"], opened["sender"]["login"]) == ("issues", "opened", "alice")
    assert (label_type, labelled["action"]) == ("issue_label", "label_updated")
    assert [lb["name"] for lb in labelled["issue"]["labels"]] == ["kind/bug"]


def test_pushes_sync_open_pull_requests(fake: FakeGitea) -> None:
    number = fake.add_issue(REPO, "PR", author="alice", is_pull=True, head="fix")
    bot = as_user(fake, "bot-token")
    bot.change_files(REPO, branch="fix", message="fix: it", files=[
        {"operation": "create", "path": "NEW.md", "content": "new\n"}])
    (opened_type, opened), (push_type, push), (sync_type, sync) = events(fake)
    assert (opened_type, opened["action"], opened["pull_request"]["head"]["ref"]) == ("pull_request", "opened", "fix")
    keys_match(push, example("push.json"), "head_commit", "pusher")
    assert push["head_commit"]["added"] == ["NEW.md"] and push["ref"] == "refs/heads/fix"
    assert (sync_type, sync["action"], sync["number"]) == ("pull_request_sync", "synchronized", number)


def test_status_payload(fake: FakeGitea) -> None:
    sha = fake.state.repos[REPO].branches["main"]
    as_user(fake, "bot-token").create_status(REPO, sha, state="failure", context="CI / test (push)")
    [(event_type, payload)] = events(fake)
    keys_match(payload, example("status-failure.json"), "commit", "sender")
    assert (event_type, payload["state"], payload["sha"]) == ("status", "failure", sha)


def test_completed_runs_send_job_then_run_events(fake: FakeGitea) -> None:
    run_id = fake.add_run(REPO, jobs=[{"name": "lint"}, {"name": "test"}])
    fake.start_run(REPO, run_id)
    fake.complete_run(REPO, run_id, jobs={"test": "failure"}, logs={"test": "FAILED test_x\n"})
    delivered = events(fake)
    assert [(t, p["action"]) for t, p in delivered] == [
        ("workflow_run", "in_progress"), ("workflow_job", "in_progress"), ("workflow_job", "in_progress"),
        ("workflow_job", "completed"), ("workflow_job", "completed"), ("workflow_run", "completed")]
    job_event, run_event = delivered[4][1], delivered[5][1]
    keys_match(job_event, example("workflow_job-completed-failure.json"), "workflow_job")
    keys_match(run_event, example("workflow_run-completed-failure.json"), "workflow")
    assert job_event["workflow_job"]["conclusion"] == "failure" and run_event["workflow_run"]["conclusion"] == "failure"


def test_emit_on_demand_and_form_hooks(fake: FakeGitea, captured: list[httpx.Request]) -> None:
    fake.add_hook(REPO, "http://form.test/hook", SECRET, ["release"], content_type="form")
    payload = {"action": "published", "repository": {"full_name": REPO}}
    [delivery] = fake.emit("release", payload)
    fake.wait_deliveries()
    request = captured[-1]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    signed = parse_qs(request.content.decode())["payload"][0].encode()
    assert json.loads(signed) == payload
    assert request.headers["X-Gitea-Signature"] == hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert delivery.status == 200


def test_system_hook_gets_every_event(fake: FakeGitea, captured: list[httpx.Request]) -> None:
    fake.add_system_hook("http://bot.test/webhook", "s")
    as_user(fake, "alice-token").create_issue(REPO, "hello")
    fake.wait_deliveries()
    assert sorted(str(r.url) for r in captured) == ["http://bot.test/webhook", "http://receiver.test/webhook"]
