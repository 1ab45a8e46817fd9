"""Webhook payloads of the fake Gitea test harness, shaped like Gitea 1.25's payload structs.

Each builder returns `(event_type, payload)`, where event_type is Gitea's HookEventType
("issues", "issue_label", "pull_request_sync", "pull_request_comment", "workflow_job", ...).
The nested objects are rendered by the same `Shapes` as the API answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.fake_gitea.git import Commit
from harness.fake_gitea.serialize import ANONYMOUS, stamp
from harness.fake_gitea.serialize_code import Shapes
from harness.fake_gitea.state import Comment, Issue, Repo, Run, Status, User

Json = dict[str, Any]
Event = tuple[str, Json]

_ISSUE_TYPES = {"label_updated": "issue_label", "label_cleared": "issue_label",
                "assigned": "issue_assign", "unassigned": "issue_assign"}
_PULL_TYPES = {"label_updated": "pull_request_label", "label_cleared": "pull_request_label",
               "assigned": "pull_request_assign", "unassigned": "pull_request_assign",
               "synchronized": "pull_request_sync"}


# services/webhook/notifier.go @v1.25.4 renders `repository` with the permission of the issue's poster
# for these actions (NewIssue, NewPullRequest, IssueChangeTitle/Content/Status, IssueClearLabels,
# IssueChangeLabels of an issue); a pull request's label_updated and synchronized pass AccessModeOwner;
# the rest (assignees, milestones, comments) the doer's.
_POSTER_ACTIONS = frozenset({"opened", "edited", "closed", "reopened", "label_updated", "label_cleared"})
_OWNER_PULL_ACTIONS = frozenset({"label_updated", "synchronized"})


def _where(sh: Shapes, repo: Repo, sender: User, access: str | None = None) -> Json:
    """The `organization` (for organisation repositories), `repository` and `sender` keys.

    `repository` carries the caller's permissions unless `access` fixes them (notifier.go passes
    `Permission{AccessMode: perm.AccessModeOwner}` for push, status and Actions events and
    AccessModeNone for create); the sender is `ToUser(ctx, doer, nil)`, seen anonymously.
    """
    org = {"organization": sh.organization(repo.owner)} if repo.owner.is_org else {}
    return {**org, "repository": sh.repo(repo, access), "sender": sh.user(sender, ANONYMOUS)}


def _changes(changes: Json | None) -> Json:
    """The `changes` key: ChangesPayload (modules/structs/hook.go @v1.25.4) when something changed.

    `title`/`body` are omitempty pointers; `added_labels` and `removed_labels` are not omitempty and
    stay nil for title and body edits, so they are null.
    """
    return {"changes": {**changes, "added_labels": None, "removed_labels": None}} if changes else {}


def issue_event(sh: Shapes, action: str, issue: Issue, repo: Repo, sender: User,
                changes: Json | None = None) -> Event:
    """IssuePayload, or PullRequestPayload when the issue is a pull request (no `organization` key)."""
    extra = _changes(changes)
    if issue.pull and action in _OWNER_PULL_ACTIONS:
        access: str | None = "owner"
    elif action in _POSTER_ACTIONS:
        access = sh.state.level(repo, issue.user)
    else:
        access = None
    where = _where(sh, repo, sender, access)
    where.pop("organization", None)
    if issue.pull:
        return _PULL_TYPES.get(action, "pull_request"), {
            "action": action, "number": issue.number, **extra, "pull_request": sh.pull(issue, repo),
            "requested_reviewer": None, **where, "commit_id": "", "review": None}
    return _ISSUE_TYPES.get(action, "issues"), {
        "action": action, "number": issue.number, **extra, "issue": sh.issue(issue, repo), **where, "commit_id": ""}


def comment_event(sh: Shapes, action: str, comment: Comment, repo: Repo, sender: User,
                  changes: Json | None = None) -> Event:
    """IssueCommentPayload (event type pull_request_comment on pull requests).

    notifier.go::CreateIssueComment / ::UpdateComment @v1.25.4: `pull_request` (omitempty) only on a
    pull request's comment, `is_pull` always; the repository with the doer's permission.
    """
    issue = comment.issue
    pull = {"pull_request": sh.pull(issue, repo)} if issue.pull else {}
    where = _where(sh, repo, sender)
    where.pop("organization", None)
    payload = {"action": action, "issue": sh.issue(issue, repo), **pull, "comment": sh.comment(comment, repo),
               **_changes(changes), **where, "is_pull": issue.pull is not None}
    return ("pull_request_comment" if issue.pull else "issue_comment"), payload


def status_event(sh: Shapes, status: Status, repo: Repo, sender: User) -> Event:
    """CommitStatusPayload (services/webhook/notifier.go::CreateCommitStatus @v1.25.4).

    `id` is the status's row id (the API shows its per-commit index); `commit` is a push commit
    (`repository.ToAPIPayloadCommit`: file lists, no verification); `target_url` is made absolute
    with `httplib.MakeAbsoluteURL`, which turns an empty one into ROOT_URL + "/"; the repository is
    rendered with AccessModeOwner; no `organization` key.
    """
    commit = repo.commits.get(status.sha)
    where = _where(sh, repo, sender, "owner")
    return "status", {
        "commit": sh.push_commit(commit, repo) if commit else None, "context": status.context,
        "created_at": stamp(status.created), "description": status.description, "id": status.id,
        "repository": where["repository"], "sender": where["sender"], "sha": status.sha, "state": status.state,
        "target_url": absolute_url(sh.web, status.target_url), "updated_at": stamp(status.created)}


def absolute_url(root: str, link: str) -> str:
    """modules/httplib/url.go::MakeAbsoluteURL @v1.25.4 without a request: ROOT_URL's host for a path,
    ROOT_URL + "/" for nothing, an absolute URL unchanged."""
    if not link:
        return root.rstrip("/") + "/"
    if urlsplit(link).scheme:
        return link
    host = urlunsplit(urlsplit(root)[:2] + ("", "", ""))
    return f"{host}/{link.lstrip('/')}"


def workflow_run_event(sh: Shapes, action: str, run: Run, repo: Repo, sender: User) -> Event:
    """WorkflowRunPayload (notifier.go::WorkflowRunStatusUpdate @v1.25.4): no `pull_request`; the
    top-level repository with AccessModeOwner (the run's own `repository` has none)."""
    return "workflow_run", {"action": action, "workflow": sh.workflow(repo, run.workflow),
                            "workflow_run": sh.run(run, repo), **_where(sh, repo, sender, "owner")}


def workflow_job_event(sh: Shapes, action: str, run: Run, job_index: int, repo: Repo, sender: User) -> Event:
    """WorkflowJobPayload (notifier.go::WorkflowJobStatusUpdate @v1.25.4): no `pull_request`; the
    repository with AccessModeOwner."""
    return "workflow_job", {"action": action, "workflow_job": sh.job(run.jobs[job_index], run, repo),
                            **_where(sh, repo, sender, "owner")}


def push_event(sh: Shapes, repo: Repo, branch: str, before: str, commits: list[Commit], pusher: User) -> Event:
    """PushPayload for commits (oldest first) pushed onto `branch` (notifier.go::PushCommits @v1.25.4):
    push commits newest first, the repository with AccessModeOwner, pusher and sender the same user."""
    rendered = [sh.push_commit(c, repo) for c in reversed(commits)]
    after = commits[-1].sha if commits else before
    where = _where(sh, repo, pusher, "owner")
    where.pop("organization", None)
    return "push", {
        "ref": f"refs/heads/{branch}", "before": before, "after": after,
        "compare_url": f"{sh.web}/{compare_path(repo, branch, before, after, commits)}", "commits": rendered,
        "total_commits": len(rendered), "head_commit": rendered[0] if rendered else None,
        "repository": where["repository"], "pusher": where["sender"], "sender": where["sender"]}


def compare_path(repo: Repo, branch: str, before: str, after: str, commits: list[Commit]) -> str:
    """services/repository/push.go::getCompareURL @v1.25.4 (after ROOT_URL + "/"): for a new branch the
    old side is the oldest pushed commit's parent, else the default branch; "" when there is none."""
    old = before
    if not old.strip("0") and commits and commits[0].parents:
        old = commits[0].parents[0]
    if not old.strip("0") and branch != repo.default_branch:
        old = repo.default_branch
    return f"{repo.full_name}/compare/{old}...{after}" if old.strip("0") else ""


def create_event(sh: Shapes, repo: Repo, branch: str, sha: str, sender: User) -> Event:
    """CreatePayload for a new branch (notifier.go::CreateRef @v1.25.4: the repository with AccessModeNone)."""
    where = _where(sh, repo, sender, "none")
    where.pop("organization", None)
    return "create", {"sha": sha, "ref": branch, "ref_type": "branch", **where}
