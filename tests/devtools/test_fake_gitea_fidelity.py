"""Behaviours of the fake Gitea checked against Gitea v1.25.4's handlers (cited at each test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.fake_gitea import FakeGitea

REPO = "acme/widget"
R = f"/repos/{REPO}"


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    gitea = FakeGitea("1.25.4", webhook_transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    gitea.add_user("teabot", "bot-token")
    gitea.add_user("mallory", "mallory-token")
    gitea.add_repo(REPO, files={"src/app.py": "x = 1\n", "README.md": "hi\n"})
    gitea.set_permission(REPO, "teabot", "write")
    gitea.add_hook(REPO, "http://receiver.test/webhook", "s3cret", ["issues", "issue_comment", "pull_request"])
    yield gitea
    gitea.stop()


def api(fake: FakeGitea, token: str = "bot-token") -> httpx.Client:
    return httpx.Client(base_url=fake.api_url, transport=httpx.WSGITransport(app=fake.app),
                        headers={"Authorization": f"token {token}"})


def hooks(fake: FakeGitea) -> list[tuple[str, Any, Any]]:
    return [(d.payload.get("action"), d.payload.get("changes"), d.event_type) for d in fake.wait_deliveries()]


def test_issue_list_ignores_label_names_the_repository_lacks(fake: FakeGitea) -> None:
    """issue.go::ListIssues: `GetLabelIDsInRepoByNames` drops unknown names from the filter."""
    bug = fake.add_label(REPO, "kind/bug")
    fake.add_issue(REPO, "one", author="teabot", labels=["kind/bug"])
    fake.add_issue(REPO, "two", author="teabot")
    with api(fake) as gitea:
        assert [i["number"] for i in gitea.get(f"{R}/issues", params={"labels": "nope"}).json()] == [2, 1]
        assert [i["number"] for i in gitea.get(f"{R}/issues", params={"labels": "kind/bug,nope"}).json()] == [1]
        assert [i["number"] for i in gitea.get(f"{R}/issues", params={"state": "bogus"}).json()] == [2, 1]
    assert bug


def test_create_issue_drops_unknown_labels_and_refuses_unknown_assignees(fake: FakeGitea) -> None:
    """issue.go::CreateIssue and models/issues/issue_update.go::NewIssueWithIndex."""
    bug = fake.add_label(REPO, "kind/bug")
    with api(fake) as gitea:
        created = gitea.post(f"{R}/issues", json={"title": "t", "labels": [bug, 999]})
        assert created.status_code == 201 and [lb["name"] for lb in created.json()["labels"]] == ["kind/bug"]
        refused = gitea.post(f"{R}/issues", json={"title": "t", "assignees": ["ghost"]})
        assert refused.status_code == 422 and "Assignee does not exist" in refused.json()["message"]
        closed = gitea.post(f"{R}/issues", json={"title": "t", "closed": True}).json()
        assert closed["state"] == "closed"
    # services/issue/issue.go::NewIssue: `opened`, then `label_updated` when labels were given
    assert [(a, t) for a, _, t in hooks(fake)] == [("opened", "issues"), ("label_updated", "issue_label"),
                                                   ("opened", "issues"), ("closed", "issues")]


def test_edit_issue_sends_one_edited_per_field_and_always_for_a_body(fake: FakeGitea) -> None:
    """issue.go::EditIssue; services/issue/issue.go::ChangeTitle skips an equal title,
    services/issue/content.go::ChangeContent notifies even an unchanged body."""
    number = fake.add_issue(REPO, "old", "body", author="teabot")
    fake.wait_deliveries()
    fake.deliverer.deliveries.clear()
    with api(fake) as gitea:
        assert gitea.patch(f"{R}/issues/{number}", json={"title": "new", "body": "body2"}).status_code == 201
        gitea.patch(f"{R}/issues/{number}", json={"title": "new", "body": "body2"})
        assert gitea.patch(f"{R}/issues/{number}", json={"state": "shut"}).status_code == 412
    assert hooks(fake) == [("edited", {"title": {"from": "old"}}, "issues"),
                           ("edited", {"body": {"from": "body"}}, "issues"),
                           ("edited", {"body": {"from": "body2"}}, "issues")]


def test_comment_routes_follow_issue_comment_go(fake: FakeGitea) -> None:
    """issue_comment.go: the list is not paged and has X-Total-Count only; an unknown issue is a 500;
    the body binding (422) comes before the lookup; editing someone else's comment is 403."""
    number = fake.add_issue(REPO, "t", author="teabot")
    comment = fake.add_comment(REPO, number, "mine", author="teabot")
    with api(fake) as gitea:
        listed = gitea.get(f"{R}/issues/{number}/comments", params={"limit": 1, "page": 2})
        assert len(listed.json()) == 1 and listed.headers["X-Total-Count"] == "1" and "Link" not in listed.headers
        assert gitea.get(f"{R}/issues/99/comments").status_code == 500
        assert gitea.post(f"{R}/issues/99/comments", json={"body": "x"}).status_code == 500
        assert gitea.post(f"{R}/issues/99/comments", json={}).status_code == 422
        assert gitea.patch(f"{R}/issues/comments/999", json={}).status_code == 422
    with api(fake, "mallory-token") as stranger:
        assert stranger.patch(f"{R}/issues/comments/{comment}", json={"body": "x"}).status_code == 403


def test_reactions_are_null_when_there_are_none(fake: FakeGitea) -> None:
    """issue_reaction.go::GetIssueReactions / ::GetIssueCommentReactions build a nil `[]api.Reaction`."""
    number = fake.add_issue(REPO, "t", author="teabot")
    comment = fake.add_comment(REPO, number, "c", author="teabot")
    with api(fake) as gitea:
        issue_reactions = gitea.get(f"{R}/issues/{number}/reactions")
        assert issue_reactions.json() is None and issue_reactions.headers["X-Total-Count"] == "0"
        assert "Link" not in issue_reactions.headers
        assert gitea.get(f"{R}/issues/comments/{comment}/reactions").json() is None


def test_labels(fake: FakeGitea) -> None:
    """label.go::ListLabels (X-Total-Count, no Link), ::CreateLabel (`NormalizeColor`),
    issue_label.go::AddIssueLabels (strings are names, 404 before 403, `label_updated` always)."""
    number = fake.add_issue(REPO, "t", author="teabot")
    for name in ("a", "b"):
        fake.add_label(REPO, name)
    fake.add_label(REPO, "5")
    with api(fake) as gitea:
        listed = gitea.get(f"{R}/labels", params={"limit": 1})
        assert listed.headers["X-Total-Count"] == "3" and "Link" not in listed.headers
        assert gitea.post(f"{R}/labels", json={"name": "c", "color": "F0A"}).json()["color"] == "ff00aa"
        assert gitea.post(f"{R}/labels", json={"name": "d", "color": "#12345"}).status_code == 422
        added = gitea.post(f"{R}/issues/{number}/labels", json={"labels": ["5"]}).json()
        assert [lb["name"] for lb in added] == ["5"]
        assert gitea.post(f"{R}/issues/{number}/labels", json={"labels": [1, "a"]}).status_code == 400
        fake.wait_deliveries()
        fake.deliverer.deliveries.clear()
        gitea.post(f"{R}/issues/{number}/labels", json={"labels": ["5"]})  # nothing new: still notified
        assert [a for a, _, _ in hooks(fake)] == ["label_updated"]
    with api(fake, "mallory-token") as stranger:
        assert stranger.post(f"{R}/issues/99/labels", json={"labels": []}).status_code == 404
        assert stranger.post(f"{R}/issues/{number}/labels", json={"labels": []}).status_code == 403


def test_pull_creation_checks_required_fields_first(fake: FakeGitea) -> None:
    """pull.go::CreatePullRequest: `bind` (Required head, base, title) runs before the branch lookup."""
    with api(fake) as gitea:
        missing = gitea.post(f"{R}/pulls", json={"head": "nope", "base": "main"})
        assert missing.status_code == 422 and "[Title]" in missing.json()["message"]
        assert gitea.post(f"{R}/pulls", json={"head": "nope", "base": "main", "title": "t"}).status_code == 404


def test_git_tree_resolves_and_pages_like_gitea(fake: FakeGitea) -> None:
    """tree.go::GetTree / services/repository/files/tree.go::GetTreeBySHA."""
    head = fake.state.repos[REPO].branches["main"]
    tree_sha = fake.state.repos[REPO].commits[head].tree
    with api(fake) as gitea:
        by_branch = gitea.get(f"{R}/git/trees/main")
        assert by_branch.json()["sha"] == head and by_branch.headers["X-Total-Count"] == "2"
        assert gitea.get(f"{R}/git/trees/{tree_sha}").json()["sha"] == tree_sha
        assert gitea.get(f"{R}/git/trees/{'0' * 40}").status_code == 400
        assert gitea.get(f"{R}/git/trees/main", params={"page": 5}).json()["tree"] is None


def test_diffpatch_answers_201_and_500_when_git_refuses(fake: FakeGitea) -> None:
    """patch.go::ApplyDiffPatch: 201; a patch git cannot apply is an unmapped error, 500."""
    patch = "--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    with api(fake) as gitea:
        applied = gitea.post(f"{R}/diffpatch", json={"branch": "main", "content": patch})
        assert applied.status_code == 201 and applied.json()["commit"]["message"] == "apply-patch"
        assert gitea.post(f"{R}/diffpatch", json={"branch": "main", "content": patch}).status_code == 500


def test_contents_leave_out_what_get_contents_does_not_fill(fake: FakeGitea) -> None:
    """services/repository/files/content.go::getFileContentsByEntryInternal: omitempty pointers left nil
    are absent; a directory's git_url is a git/blobs URL too; web URLs follow the ref kind."""
    head = fake.state.repos[REPO].branches["main"]
    with api(fake) as gitea:
        file = gitea.get(f"{R}/contents/src/app.py", params={"ref": head}).json()
        listing = gitea.get(f"{R}/contents").json()
    assert not {"last_commit_message", "lfs_oid", "lfs_size"} & set(file)
    assert file["download_url"].endswith(f"/raw/commit/{head}/src/app.py") and file["last_commit_sha"] == head
    folder = next(e for e in listing if e["type"] == "dir")
    assert "/git/blobs/" in folder["git_url"] and folder["content"] is None and folder["download_url"] is None


def test_pull_list_and_single_pull_differ_like_the_converters(fake: FakeGitea) -> None:
    """services/convert/pull.go: ToAPIPullRequests leaves counts absent and reviewer lists null."""
    number = fake.add_issue(REPO, "p", author="teabot", is_pull=True)
    with api(fake) as gitea:
        [listed] = gitea.get(f"{R}/pulls").json()
        single = gitea.get(f"{R}/pulls/{number}").json()
    assert not {"additions", "deletions", "changed_files", "review_comments"} & set(listed)
    assert listed["requested_reviewers"] is None and listed["assignees"] is None
    assert single["requested_reviewers"] == [] and "changed_files" in single and "review_comments" not in single


def test_users_are_rendered_for_whoever_asks(fake: FakeGitea) -> None:
    """services/convert/user.go::toUser: admin-only fields for oneself or a site admin; comment
    posters are rendered with a nil doer (placeholder email, no admin view)."""
    fake.add_user("root", "root-token", admin=True)
    number = fake.add_issue(REPO, "t", author="root")
    fake.add_comment(REPO, number, "c", author="root")
    with api(fake, "root-token") as root, api(fake) as bot:
        me = root.get("/user").json()
        seen = bot.get(f"{R}/issues/{number}").json()["user"]
        poster = root.get(f"{R}/issues/{number}/comments").json()[0]["user"]
    assert me["is_admin"] is True and me["active"] is True
    assert seen["is_admin"] is False and seen["active"] is False and seen["last_login"] == "0001-01-01T00:00:00Z"
    assert poster["is_admin"] is False and poster["email"] == "root@noreply.gitea.test"
