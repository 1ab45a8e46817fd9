"""Webhook payloads of the fake Gitea test harness, shaped like Gitea 1.25's payload structs.

Each builder returns `(event_type, payload)`, where event_type is Gitea's HookEventType
("issues", "issue_label", "pull_request_sync", "pull_request_comment", "workflow_job", ...).
The nested objects are rendered by the same `Shapes` as the API answers.
"""

from __future__ import annotations

from typing import Any

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


def _where(sh: Shapes, repo: Repo, sender: User) -> Json:
    """The `organization` (for organisation repositories), `repository` and `sender` keys."""
    org = {"organization": sh.organization(repo.owner)} if repo.owner.is_org else {}
    return {**org, "repository": sh.repo(repo), "sender": sh.user(sender, ANONYMOUS)}  # webhook/notifier.go: ToUser(ctx, doer, nil)


def issue_event(sh: Shapes, action: str, issue: Issue, repo: Repo, sender: User,
                changes: Json | None = None) -> Event:
    """IssuePayload, or PullRequestPayload when the issue is a pull request."""
    extra = {"changes": changes} if changes else {}
    where = _where(sh, repo, sender)
    where.pop("organization", None)
    if issue.pull:
        return _PULL_TYPES.get(action, "pull_request"), {
            "action": action, "number": issue.number, **extra, "pull_request": sh.pull(issue, repo),
            "requested_reviewer": None, **where, "commit_id": "", "review": None}
    return _ISSUE_TYPES.get(action, "issues"), {
        "action": action, "number": issue.number, **extra, "issue": sh.issue(issue, repo), **where, "commit_id": ""}


def comment_event(sh: Shapes, action: str, comment: Comment, repo: Repo, sender: User,
                  changes: Json | None = None) -> Event:
    """IssueCommentPayload (event type pull_request_comment on pull requests)."""
    issue = comment.issue
    pull = {"pull_request": sh.pull(issue, repo)} if issue.pull else {}
    where = _where(sh, repo, sender)
    where.pop("organization", None)
    payload = {"action": action, "issue": sh.issue(issue, repo), **pull, "comment": sh.comment(comment, repo),
               **({"changes": changes} if changes else {}), **where, "is_pull": issue.pull is not None}
    return ("pull_request_comment" if issue.pull else "issue_comment"), payload


def status_event(sh: Shapes, status: Status, repo: Repo, sender: User) -> Event:
    """CommitStatusPayload."""
    commit = repo.commits.get(status.sha)
    where = _where(sh, repo, sender)
    return "status", {
        "commit": sh.payload_commit(commit, repo) if commit else None, "context": status.context,
        "created_at": stamp(status.created), "description": status.description, "id": status.id,
        "repository": where["repository"], "sender": where["sender"], "sha": status.sha, "state": status.state,
        "target_url": status.target_url, "updated_at": stamp(status.created)}


def workflow_run_event(sh: Shapes, action: str, run: Run, repo: Repo, sender: User) -> Event:
    """WorkflowRunPayload."""
    return "workflow_run", {"action": action, "workflow": sh.workflow(repo, run.workflow),
                            "workflow_run": sh.run(run, repo), **_where(sh, repo, sender)}


def workflow_job_event(sh: Shapes, action: str, run: Run, job_index: int, repo: Repo, sender: User) -> Event:
    """WorkflowJobPayload."""
    return "workflow_job", {"action": action, "workflow_job": sh.job(run.jobs[job_index], run, repo),
                            **_where(sh, repo, sender)}


def push_event(sh: Shapes, repo: Repo, branch: str, before: str, commits: list[Commit], pusher: User) -> Event:
    """PushPayload for commits (oldest first) pushed onto `branch`."""
    rendered = [sh.payload_commit(c, repo) for c in reversed(commits)]
    after = commits[-1].sha if commits else before
    where = _where(sh, repo, pusher)
    where.pop("organization", None)
    return "push", {
        "ref": f"refs/heads/{branch}", "before": before, "after": after,
        "compare_url": f"{sh.web}/{repo.full_name}/compare/{before}...{after}", "commits": rendered,
        "total_commits": len(rendered), "head_commit": rendered[0] if rendered else None,
        "repository": where["repository"], "pusher": where["sender"], "sender": where["sender"]}


def create_event(sh: Shapes, repo: Repo, branch: str, sha: str, sender: User) -> Event:
    """CreatePayload for a new branch."""
    where = _where(sh, repo, sender)
    where.pop("organization", None)
    return "create", {"sha": sha, "ref": branch, "ref_type": "branch", **where}
