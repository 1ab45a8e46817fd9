"""GiteaClient against the fake Gitea: server, users, issues, comments, labels, dependencies, hooks."""

from __future__ import annotations

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_gitea import FakeGitea
from bot.forge import GiteaClient, make_forge
from bot.forge.errors import BadRequest, DependencyCycle, DependencyExists, ForgeError, Forbidden, NotFound, Unauthorized

REPO = "acme/widget"  # seeded by the `fake` fixture in conftest.py
BOT_TOKEN = "bot-token-0123456789abcdef"


def client_for(fake: FakeGitea, token: str | None) -> GiteaClient:
    """A client of another user (or anonymous)."""
    return make_forge(Settings(gitea_url=fake.url, gitea_token=token), transport=httpx.WSGITransport(app=fake.app))


def test_version_and_capabilities_are_fetched_once(forge: GiteaClient, fake: FakeGitea) -> None:
    assert forge.version() == "1.26.1"
    caps = forge.capabilities()
    assert forge.capabilities() is caps and caps.rerun and caps.runs_api and caps.job_logs
    assert len(fake.calls("GET", "/version")) == 2  # version() once, capabilities() once


def test_current_user_and_repo(forge: GiteaClient) -> None:
    assert forge.current_user()["login"] == "teabot"
    repo = forge.get_repo(REPO)
    assert repo["full_name"] == REPO and repo["permissions"] == {"admin": False, "push": True, "pull": True}


def test_requests_carry_the_token_header(forge: GiteaClient, fake: FakeGitea) -> None:
    forge.current_user()
    assert fake.requests[-1].user == "teabot"
    assert forge.http.headers["Authorization"] == f"token {BOT_TOKEN}"


def test_without_a_token_writes_are_unauthorized(fake: FakeGitea) -> None:
    anonymous = client_for(fake, None)
    assert "Authorization" not in anonymous.http.headers
    assert anonymous.get_repo(REPO)["permissions"]["push"] is False  # public repos are readable
    with pytest.raises(Unauthorized, match="TEABOT_GITEA_TOKEN"):
        anonymous.create_comment(REPO, 1, "hi")


def test_create_get_edit_and_list_issues(forge: GiteaClient, fake: FakeGitea) -> None:
    bug = fake.add_label(REPO, "kind/bug", "#ee0701")
    created = forge.create_issue(REPO, "Add rate limiting", "details", labels=[bug], assignees=["teabot"])
    assert created["number"] == 1 and [lb["name"] for lb in created["labels"]] == ["kind/bug"]
    assert created["assignees"][0]["login"] == "teabot"
    assert forge.get_issue(REPO, 1)["title"] == "Add rate limiting"
    edited = forge.edit_issue(REPO, 1, title="Add rate limiting to /orders", state="closed")
    assert edited["state"] == "closed" and edited["closed_at"]
    assert forge.list_issues(REPO) == []
    assert [i["number"] for i in forge.list_issues(REPO, state="closed", labels=["kind/bug"])] == [1]
    assert forge.list_issues(REPO, state="all", labels=["nope"]) == []


def test_list_issues_reads_every_page(forge: GiteaClient, fake: FakeGitea) -> None:
    for n in range(1, 73):
        fake.add_issue(REPO, f"issue {n}", author="alice")
    fake.add_issue(REPO, "a pull", author="alice", is_pull=True)
    issues = forge.list_issues(REPO, type="issues")
    assert sorted(i["number"] for i in issues) == list(range(1, 73))
    pages = [c.query["page"] for c in fake.calls("GET", f"/repos/{REPO}/issues")]
    assert pages == ["1", "2"]
    assert [p["number"] for p in forge.list_issues(REPO, type="pulls")] == [73]


def test_comments(forge: GiteaClient, fake: FakeGitea) -> None:
    number = fake.add_issue(REPO, "Epic", author="alice")
    fake.add_comment(REPO, number, "/plan", author="alice")
    posted = forge.create_comment(REPO, number, "Working on it")
    assert posted["user"]["login"] == "teabot"
    edited = forge.edit_comment(REPO, posted["id"], "Done")
    assert edited["body"] == "Done" and forge.get_comment(REPO, posted["id"])["body"] == "Done"
    assert [c["body"] for c in forge.list_comments(REPO, number)] == ["/plan", "Done"]


def test_cannot_edit_someone_elses_comment_without_write(fake: FakeGitea) -> None:
    number = fake.add_issue(REPO, "Epic", author="alice")
    comment = fake.add_comment(REPO, number, "mine", author="alice")
    with pytest.raises(Forbidden):
        client_for(fake, "mallory-token").edit_comment(REPO, comment, "defaced")


def test_reactions_and_attachments(forge: GiteaClient, fake: FakeGitea) -> None:
    number = fake.add_issue(REPO, "Epic", author="alice")
    comment = fake.add_comment(REPO, number, "the plan", author="teabot")
    fake.add_reaction(REPO, "+1", author="alice", comment_id=comment)
    fake.add_reaction(REPO, "heart", author="alice", number=number)
    assert [(r["content"], r["user"]["login"]) for r in forge.list_comment_reactions(REPO, comment)] == [("+1", "alice")]
    assert [r["content"] for r in forge.list_issue_reactions(REPO, number)] == ["heart"]
    fake.add_attachment(REPO, number, "prd.md", b"# PRD\n")
    [attachment] = forge.list_issue_attachments(REPO, number)
    assert attachment["name"] == "prd.md" and attachment["size"] == 6
    assert forge.download(attachment["browser_download_url"]) == b"# PRD\n"


def test_download_refuses_other_hosts(forge: GiteaClient, fake: FakeGitea) -> None:
    with pytest.raises(ForgeError, match="only downloads from its Gitea server"):
        forge.download("https://evil.example.com/attachments/x")
    assert not fake.requests


def test_labels(forge: GiteaClient, fake: FakeGitea) -> None:
    for n in range(55):
        fake.add_label(REPO, f"area/{n}")
    created = forge.create_label(REPO, "type/story", "#0e8a16", "A user story")
    assert created["color"] == "0e8a16" and created["description"] == "A user story"
    assert len(forge.list_labels(REPO)) == 56
    number = fake.add_issue(REPO, "Story", author="alice")
    labels = forge.add_labels(REPO, number, ["type/story", fake.add_label(REPO, "status/todo")])
    assert [lb["name"] for lb in labels] == ["type/story", "status/todo"]
    assert fake.calls("POST", f"/repos/{REPO}/issues/{number}/labels")[-1].json["labels"] == [56, 57]  # ids, not a mix
    assert len(forge.add_labels(REPO, number, ["no-such-label"])) == 2  # Gitea skips unknown labels
    with pytest.raises(BadRequest):
        forge.create_label(REPO, "bad", "not-a-colour")


def test_label_changes_need_write_access(fake: FakeGitea) -> None:
    number = fake.add_issue(REPO, "Story", author="mallory")
    with pytest.raises(Forbidden, match="needs write access to acme/widget"):
        client_for(fake, "mallory-token").add_labels(REPO, number, [fake.add_label(REPO, "x")])


def test_dependencies(forge: GiteaClient, fake: FakeGitea, sleeps: list[float]) -> None:
    fake.add_repo("acme/infra")
    enabler = fake.add_issue(REPO, "Enabler", author="alice")
    feature = fake.add_issue(REPO, "Feature", author="alice")
    other = fake.add_issue("acme/infra", "Cluster", author="alice")
    forge.add_dependency(REPO, feature, enabler)
    with pytest.raises(DependencyExists):  # Gitea answers a repeat with 500
        forge.add_dependency(REPO, feature, enabler)
    forge.add_dependency(REPO, feature, other, depends_on_repo="acme/infra")
    assert [(d["repository"]["full_name"], d["number"]) for d in forge.list_dependencies(REPO, feature)] == [
        (REPO, enabler), ("acme/infra", other)]
    with pytest.raises(DependencyCycle) as caught:
        forge.add_dependency(REPO, enabler, feature)
    assert not caught.value.transient and sleeps == []  # not "try again later"
    call = fake.calls("POST", f"/repos/{REPO}/issues/{feature}/dependencies")[0]
    assert call.json == {"owner": "acme", "repo": "widget", "index": enabler}


def test_collaborator_permission(forge: GiteaClient, fake: FakeGitea) -> None:
    assert forge.collaborator_permission(REPO, "teabot") == "write"
    for other in ("mallory", "nobody"):  # only repo admins may ask about others, known or not
        with pytest.raises(Forbidden):
            forge.collaborator_permission(REPO, other)
    admin = client_for(fake, "alice-token")
    assert admin.collaborator_permission(REPO, "nobody") == "none"
    assert admin.collaborator_permission(REPO, "mallory") == "read"
    assert admin.collaborator_permission(REPO, "alice") == "owner"


def test_private_repositories_are_invisible_without_access(fake: FakeGitea) -> None:
    fake.add_repo("acme/secret", private=True)
    with pytest.raises(NotFound, match="acme/secret"):
        client_for(fake, "mallory-token").get_repo("acme/secret")
    fake.set_permission("acme/secret", "mallory", "read")
    assert client_for(fake, "mallory-token").get_repo("acme/secret")["private"] is True


def test_hooks_need_admin(forge: GiteaClient, fake: FakeGitea) -> None:
    with pytest.raises(Forbidden, match="admin access"):
        forge.list_hooks(REPO)
    admin = client_for(fake, "alice-token")
    hook = admin.create_hook(REPO, "http://127.0.0.1:9/webhook", "s3cret", ["issues", "pull_request"])
    assert hook["config"]["url"] == "http://127.0.0.1:9/webhook" and "secret" not in hook["config"]
    assert admin.edit_hook(REPO, hook["id"], active=False, events=["issue_comment"])["events"] == ["issue_comment"]
    assert [(h["id"], h["active"]) for h in admin.list_hooks(REPO)] == [(hook["id"], False)]


def test_repository_names_must_be_owner_slash_name(forge: GiteaClient) -> None:
    for bad in ("widget", "acme/", "/widget", "a/b/c"):
        with pytest.raises(ValueError, match="owner/name"):
            forge.get_repo(bad)
