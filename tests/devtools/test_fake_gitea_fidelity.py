"""Behaviours of the fake Gitea checked against Gitea v1.25.4's handlers (cited at each test)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.fake_gitea import FakeGitea, ci

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
    no_labels = {"added_labels": None, "removed_labels": None}  # hook.go ChangesPayload: not omitempty
    assert hooks(fake) == [("edited", {"title": {"from": "old"}, **no_labels}, "issues"),
                           ("edited", {"body": {"from": "body"}, **no_labels}, "issues"),
                           ("edited", {"body": {"from": "body2"}, **no_labels}, "issues")]


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
    assert single["assignees"] == []  # ToAPIPullRequest: util.SliceNilAsEmpty(apiIssue.Assignees)


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


def anonymous(fake: FakeGitea) -> httpx.Client:
    return httpx.Client(base_url=fake.api_url, transport=httpx.WSGITransport(app=fake.app))


def payloads(fake: FakeGitea, event_type: str) -> list[dict[str, Any]]:
    return [d.payload for d in fake.wait_deliveries() if d.event_type == event_type]


def test_repository_follows_inner_to_repo(fake: FakeGitea) -> None:
    """services/convert/repository.go::innerToRepo: every unit of models/unit/unit.go DefaultRepoUnits is
    on; `permissions` are the caller's; `internal_tracker` (omitempty) is absent without the issues unit;
    the owner is `ToUserWithAccessMode`: signed-in view unless the access mode is none."""
    with api(fake) as gitea, anonymous(fake) as nobody:
        mine, theirs = gitea.get(R).json(), nobody.get(R).json()
        fake.state.repos[REPO].has_issues = False
        without_issues = gitea.get(R).json()
    assert all(mine[k] for k in ("has_code", "has_issues", "has_wiki", "has_pull_requests", "has_projects",
                                 "has_releases", "has_packages", "has_actions"))
    assert mine["allow_manual_merge"] is False and mine["internal_tracker"]["enable_issue_dependencies"] is True
    assert mine["permissions"] == {"admin": False, "push": True, "pull": True}
    assert theirs["permissions"] == {"admin": False, "push": False, "pull": True}
    assert (mine["mirror_interval"], mine["mirror_updated"], mine["archived_at"]) == (
        "", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z")
    assert not {"parent", "repo_transfer", "external_tracker", "external_wiki"} & set(mine)
    assert without_issues["has_issues"] is False and "internal_tracker" not in without_issues


def test_branch_commit_is_an_api_payload_commit(fake: FakeGitea) -> None:
    """services/convert/convert.go::ToBranch and git_commit.go::ToPayloadCommit: `verification` is
    filled (ToVerification: not signed), the file lists are nil (null), `username` is found by email;
    without protection user_can_push/merge need write access and are false for an anonymous caller."""
    content = base64.b64encode(b"y = 2\n").decode()
    with api(fake) as gitea, anonymous(fake) as nobody:
        assert gitea.post(f"{R}/contents", json={"files": [{"operation": "create", "path": "b.py",
                                                           "content": content}]}).status_code == 201
        branch, seen = gitea.get(f"{R}/branches/main").json(), nobody.get(f"{R}/branches/main").json()
    commit = branch["commit"]
    assert commit["verification"] == {"verified": False, "reason": "gpg.error.not_signed_commit", "signature": "",
                                      "signer": None, "payload": ""}
    assert (commit["added"], commit["removed"], commit["modified"]) == (None, None, None)
    assert commit["author"]["username"] == commit["committer"]["username"] == "teabot"
    assert branch["user_can_push"] is branch["user_can_merge"] is True
    assert seen["user_can_push"] is seen["user_can_merge"] is False
    assert branch["status_check_contexts"] == [] and branch["effective_branch_protection_name"] == ""


def test_change_files_answer_and_its_push_payload(fake: FakeGitea) -> None:
    """services/repository/files/file.go::GetFileCommitResponse: CommitMeta without `created` (Go's zero
    time); commit.go::GetPayloadCommitVerification. modules/repository/commits.go::ToAPIPayloadCommit
    (push webhook): no verification, file lists from GetCommitFileStatus, username by email, and
    notifier.go::PushCommits renders the repository with AccessModeOwner."""
    fake.add_hook(REPO, "http://receiver.test/push", "s3cret", ["push"])
    content = base64.b64encode(b"x = 2\n").decode()
    with api(fake) as gitea:
        sha = gitea.get(f"{R}/contents/src/app.py").json()["sha"]
        answer = gitea.post(f"{R}/contents", json={"files": [{"operation": "update", "path": "src/app.py",
                                                             "sha": sha, "content": content}]}).json()
    commit = answer["commit"]
    assert commit["created"] == commit["tree"]["created"] == commit["parents"][0]["created"] == "0001-01-01T00:00:00Z"
    assert answer["verification"]["reason"] == "gpg.error.not_signed_commit" and answer["verification"]["signer"] is None
    [push] = payloads(fake, "push")
    [pushed] = push["commits"]
    assert pushed["verification"] is None and (pushed["added"], pushed["removed"], pushed["modified"]) == (
        [], [], ["src/app.py"])
    assert pushed["author"]["username"] == "teabot" and push["head_commit"] == pushed
    assert push["repository"]["permissions"] == {"admin": True, "push": True, "pull": True}
    assert push["compare_url"] == f"{fake.state.web_url}/{REPO}/compare/{push['before']}...{push['after']}"


def test_a_new_branchs_push_compares_with_its_parent(fake: FakeGitea) -> None:
    """services/repository/push.go::getCompareURL: the old side of a new branch is the parent of its
    oldest pushed commit (`before` stays the zero id); notifier.go::CreateRef renders AccessModeNone."""
    fake.add_hook(REPO, "http://receiver.test/push", "s3cret", ["push", "create"])
    main = fake.state.repos[REPO].branches["main"]
    content = base64.b64encode(b"z = 3\n").decode()
    with api(fake) as gitea:
        gitea.post(f"{R}/contents", json={"new_branch": "topic",
                                          "files": [{"operation": "create", "path": "c.py", "content": content}]})
    [push], [create] = payloads(fake, "push"), payloads(fake, "create")
    assert push["before"] == "0" * 40
    assert push["compare_url"] == f"{fake.state.web_url}/{REPO}/compare/{main}...{push['after']}"
    assert create["repository"]["permissions"] == {"admin": False, "push": False, "pull": False}


def test_commit_statuses_follow_to_commit_status(fake: FakeGitea) -> None:
    """services/convert/status.go::ToCommitStatus: `id` is the per-commit Index, `creator` null when
    GetUserByID fails (Actions' user -2), `target_url` as stored (a path for Actions).
    notifier.go::CreateCommitStatus: the payload's `id` is the row id, `target_url` made absolute by
    httplib.MakeAbsoluteURL (ROOT_URL + "/" when empty), the repository with AccessModeOwner."""
    fake.add_hook(REPO, "http://receiver.test/status", "s3cret", ["status"])
    repo = fake.state.repos[REPO]
    with api(fake) as gitea:
        gitea.post(f"{R}/statuses/{repo.branches['main']}", json={"state": "success", "context": "ci/old"})
        head = fake.commit(REPO, {".gitea/workflows/ci.yml": "on: [push]\njobs:\n  test:\n    runs-on: x\n"})
        for context in ("ci/a", "ci/b"):
            gitea.post(f"{R}/statuses/{head}", json={"state": "failure", "context": context})
        run_id = fake.add_run(REPO, conclusion="failure")
        fake.emit(*ci.job_status(fake.state, repo, repo.runs[run_id], 0, "Failing after 1s"), repo=REPO)
        listed = gitea.get(f"{R}/statuses/{head}").json()
    by_context = {s["context"]: s for s in listed}
    assert (by_context["ci/a"]["id"], by_context["ci/b"]["id"]) == (1, 2)
    assert by_context["ci/a"]["creator"]["login"] == "teabot" and by_context["ci/a"]["url"].endswith(f"/statuses/{head}")
    [actions] = [s for s in listed if s["context"] not in ("ci/a", "ci/b")]
    path = f"/{REPO}/actions/runs/{repo.runs[run_id].number}/jobs/0"
    assert actions["creator"] is None and actions["target_url"] == path
    sent = {p["context"]: p for p in payloads(fake, "status")}
    assert (sent["ci/a"]["id"], sent["ci/b"]["id"]) == (2, 3)  # row ids, counted across commits
    assert sent["ci/a"]["target_url"] == f"{fake.state.web_url}/"
    assert sent["ci/a"]["repository"]["permissions"] == {"admin": True, "push": True, "pull": True}
    assert sent["ci/a"]["commit"]["verification"] is None and isinstance(sent["ci/a"]["commit"]["added"], list)
    assert sent[actions["context"]]["target_url"] == fake.state.web_url + path
    actions_user = sent[actions["context"]]["sender"]  # models/user/user_system.go::NewActionsUser, avatar.go
    assert (actions_user["login"], actions_user["id"], actions_user["created"], actions_user["avatar_url"]) == (
        "gitea-actions", -2, "1970-01-01T00:00:00Z", "/assets/img/avatar_default.png")


def test_actions_payloads_render_the_repository_like_the_notifier(fake: FakeGitea) -> None:
    """convert.go::ToActionWorkflowRun: the run's repository with AccessModeNone, no repository_id
    (omitempty, never set); notifier.go::WorkflowRunStatusUpdate / ::WorkflowJobStatusUpdate: the
    top-level repository with AccessModeOwner, no pull_request key."""
    fake.add_hook(REPO, "http://receiver.test/ci", "s3cret", ["workflow_run", "workflow_job"])
    fake.commit(REPO, {".gitea/workflows/ci.yml": "on: [push]\njobs:\n  test:\n    runs-on: x\n"})
    run_id = fake.add_run(REPO)
    fake.start_run(REPO, run_id)
    fake.complete_run(REPO, run_id, "success")
    owner = {"admin": True, "push": True, "pull": True}
    for event in payloads(fake, "workflow_run") + payloads(fake, "workflow_job"):
        assert event["repository"]["permissions"] == owner and "pull_request" not in event
    [started, *_] = payloads(fake, "workflow_run")
    run = started["workflow_run"]
    assert run["repository"]["permissions"] == {"admin": False, "push": False, "pull": False}
    assert "repository_id" not in run and "head_repository" not in run
    assert run["repository"]["owner"]["email"].endswith("@noreply.gitea.test")
    # convert.go::getActionWorkflowEntry: no `name:` means the file name; both times are the head commit's
    head = fake.state.repos[REPO].resolve(None)
    assert started["workflow"]["name"] == "ci.yml"
    assert started["workflow"]["created_at"] == started["workflow"]["updated_at"] == head.when.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_issue_payloads_carry_the_posters_or_the_doers_permission(fake: FakeGitea) -> None:
    """services/webhook/notifier.go: NewIssue / IssueChangeTitle render `repository` with the poster's
    permission, CreateIssueComment with the doer's."""
    with api(fake, "mallory-token") as stranger:
        number = stranger.post(f"{R}/issues", json={"title": "t"}).json()["number"]
    with api(fake) as gitea:
        gitea.patch(f"{R}/issues/{number}", json={"title": "renamed"})
        gitea.post(f"{R}/issues/{number}/comments", json={"body": "c"})
    opened, renamed = payloads(fake, "issues")
    [commented] = payloads(fake, "issue_comment")
    reader = {"admin": False, "push": False, "pull": True}
    assert opened["repository"]["permissions"] == renamed["repository"]["permissions"] == reader
    assert commented["repository"]["permissions"] == {"admin": False, "push": True, "pull": True}
    assert commented["is_pull"] is False and "pull_request" not in commented


def test_delivery_headers_name_the_hooks_owner(fake: FakeGitea) -> None:
    """services/webhook/deliver.go::addDefaultHeaders: X-Gitea- and X-GitHub-Hook-Installation-Target-Type
    is "repository", "organization" (an owner's hook) or "system"; the coarse event of
    pull_request_comment is issue_comment (modules/webhook/type.go HookEventType.Event)."""
    org_hook = fake.add_org_hook("acme", "http://receiver.test/org", "s3cret", ["pull_request"])
    fake.add_system_hook("http://receiver.test/system", "s3cret", ["*"])
    number = fake.add_issue(REPO, "p", author="teabot", is_pull=True)
    fake.add_comment(REPO, number, "c", author="teabot")
    targets = {(d.hook_id, d.headers["X-Gitea-Hook-Installation-Target-Type"],
                d.headers["X-GitHub-Hook-Installation-Target-Type"]) for d in fake.wait_deliveries()}
    assert targets == {(1, "repository", "repository"), (org_hook, "organization", "organization"),
                       (0, "system", "system")}
    comments = [d for d in fake.deliveries if d.event_type == "pull_request_comment"]
    assert {(d.headers["X-Gitea-Event"], d.headers["X-Gogs-Event"], d.headers["X-GitHub-Event-Type"])
            for d in comments} == {("issue_comment", "issue_comment", "pull_request_comment")}
