"""JSON shapes of the fake Gitea test harness for code, pull requests, statuses, hooks and Actions.

`Shapes` extends the issue shapes; route modules render everything through one `Shapes(state, viewer)`.
"""

from __future__ import annotations

import base64
from typing import Any

from harness.fake_gitea.git import FILE_MODE, TREE_MODE, Commit, Signature, blob_sha, changed_paths
from harness.fake_gitea.serialize import ANONYMOUS, UNIX_ZERO, ZERO_TIME, IssueShapes, stamp
from harness.fake_gitea.state import Hook, Issue, Job, Repo, Run, Status, Step
from harness.fake_gitea.workflow_spec import WorkflowFileError, parse_workflow, workflow_dir, workflow_files

Json = dict[str, Any]


def last_change(repo: Repo, commit: Commit, path: str) -> Commit:
    """The newest commit (first-parent history from `commit`) that changed `path`."""
    current = commit
    while current.parents:
        parent = repo.commits[current.parents[0]]
        inside = [p for p in (*current.files, *parent.files) if p == path or p.startswith(path + "/")]
        if any(current.files.get(p) != parent.files.get(p) for p in inside):
            return current
        current = parent
    return current


def declared_name(repo: Repo, file: str) -> str:
    """The `name:` a workflow file on the default branch declares ("" when none or unreadable)."""
    head = repo.resolve(None)
    text = workflow_files(head.files).get(file) if head else None
    try:
        return parse_workflow(file, text).declared_name if text is not None else ""
    except WorkflowFileError:
        return ""


def workflow_name(repo: Repo, file: str) -> str:
    """The `name:` of a workflow file on the default branch (its file stem when it has none)."""
    return declared_name(repo, file) or file.rsplit(".", 1)[0]


class Shapes(IssueShapes):
    """Renders every kind of record the fake serves."""

    def verification(self) -> Json:
        """PayloadCommitVerification of an unsigned commit (the fake signs nothing).

        services/convert/convert.go::ToVerification and services/repository/files/commit.go::
        GetPayloadCommitVerification @v1.25.4: services/asymkey/commit.go::ParseCommitWithSignature gives
        the reason "gpg.error.not_signed_commit"; no signature, so `signer` stays nil (null).
        """
        return {"verified": False, "reason": "gpg.error.not_signed_commit", "signature": "", "signer": None,
                "payload": ""}

    def payload_user(self, sig: Signature) -> Json:
        """PayloadUser of a commit's author or committer: `username` is the login of the user owning
        that email (`user_model.GetUserByEmail`), "" when nobody does."""
        owner = self.state.user_by_email(sig.email)
        return {"name": sig.name, "email": sig.email, "username": owner.login if owner else ""}

    def payload_commit(self, commit: Commit, repo: Repo) -> Json:
        """PayloadCommit of the API (branches): services/convert/git_commit.go::ToPayloadCommit @v1.25.4.

        `verification` is filled (`ToVerification`); `added`, `removed` and `modified` are never set,
        so they are nil slices: JSON null.
        """
        return {"id": commit.sha, "message": commit.message, "url": f"{self.web}/{repo.full_name}/commit/{commit.sha}",
                "author": self.payload_user(commit.author), "committer": self.payload_user(commit.committer),
                "verification": self.verification(), "timestamp": stamp(commit.when),
                "added": None, "removed": None, "modified": None}

    def push_commit(self, commit: Commit, repo: Repo) -> Json:
        """PayloadCommit of push and status webhooks: modules/repository/commits.go::ToAPIPayloadCommit @v1.25.4.

        `verification` is never set (null); the file lists come from `git.GetCommitFileStatus`, which
        starts from empty slices (modules/git/commit.go `NewCommitFileStatus`), so they are [] not null.
        """
        parent = repo.commits.get(commit.parents[0]) if commit.parents else None
        added, removed, modified = changed_paths(parent.files if parent else {}, commit.files)
        return {"id": commit.sha, "message": commit.message, "url": f"{self.web}/{repo.full_name}/commit/{commit.sha}",
                "author": self.payload_user(commit.author), "committer": self.payload_user(commit.committer),
                "verification": None, "timestamp": stamp(commit.when),
                "added": added, "removed": removed, "modified": modified}

    def branch(self, repo: Repo, name: str) -> Json:
        """Branch (services/convert/convert.go::ToBranch @v1.25.4) of an unprotected branch.

        Without a protection rule `user_can_push` is `CanMaintainerWriteToBranch` and `user_can_merge`
        `HasAccessUnit(code, write)`, both false for an anonymous caller; `status_check_contexts` is [];
        `effective_branch_protection_name` is only set for a protected branch ("").
        """
        can_push = self.viewer is not None and self.state.can(repo, self.viewer, "write")
        return {"name": name, "commit": self.payload_commit(repo.commits[repo.branches[name]], repo),
                "protected": False, "required_approvals": 0, "enable_status_check": False,
                "status_check_contexts": [], "user_can_push": can_push, "user_can_merge": can_push,
                "effective_branch_protection_name": ""}

    def commit_meta(self, repo: Repo, sha: str, kind: str = "commits") -> Json:
        """CommitMeta as services/repository/files/file.go::GetFileCommitResponse @v1.25.4 builds it:
        url and sha only, so `created` is Go's zero time."""
        return {"url": f"{self.api}/repos/{repo.full_name}/git/{kind}/{sha}", "sha": sha, "created": ZERO_TIME}

    def file_commit(self, commit: Commit, repo: Repo) -> Json:
        """FileCommitResponse (services/repository/files/file.go::GetFileCommitResponse @v1.25.4): author
        and committer dates in UTC; `parents` [] for a root commit; `created` of every CommitMeta unset."""
        def person(sig: Signature) -> Json:
            return {"name": sig.name, "email": sig.email, "date": stamp(commit.when)}
        return {
            **self.commit_meta(repo, commit.sha), "html_url": f"{self.web}/{repo.full_name}/commit/{commit.sha}",
            "author": person(commit.author), "committer": person(commit.committer),
            "parents": [self.commit_meta(repo, p) for p in commit.parents],
            "message": commit.message, "tree": self.commit_meta(repo, commit.tree, "trees"),
        }

    def contents(self, repo: Repo, commit: Commit, path: str, *, with_content: bool, ref: str) -> Json:
        """ContentsResponse of a file (content base64 when asked) or a directory.

        services/repository/files/content.go::getFileContentsByEntryInternal @v1.25.4, as GetContents
        and ChangeFiles call it (IncludeCommitMetadata, not IncludeCommitMessage): `last_commit_message`,
        `lfs_oid` and `lfs_size` are nil pointers with omitempty, so ABSENT; `git_url` is .../git/blobs/<sha>
        even for a directory; `download_url` (files only) and `html_url` use the ref's web path
        (branch/<b>, tag/<t> or commit/<sha>).
        """
        is_file = path in commit.files
        data = commit.files.get(path, b"")
        sha = blob_sha(data) if is_file else commit.subtrees().get(path, commit.tree)
        changed = last_change(repo, commit, path)
        self_url = f"{self.api}/repos/{repo.full_name}/contents/{path}?ref={ref}"
        web_ref = f"commit/{commit.sha}" if ref == commit.sha else f"branch/{ref}"
        html = f"{self.web}/{repo.full_name}/src/{web_ref}/{path}"
        git_url = f"{self.api}/repos/{repo.full_name}/git/blobs/{sha}"
        return {
            "name": path.rsplit("/", 1)[-1], "path": path, "sha": sha, "last_commit_sha": changed.sha,
            "last_committer_date": stamp(changed.when),
            "last_author_date": stamp(changed.when), "type": "file" if is_file else "dir",
            "size": len(data), "encoding": "base64" if is_file and with_content else None,
            "content": base64.b64encode(data).decode() if is_file and with_content else None,
            "target": None, "url": self_url, "html_url": html, "git_url": git_url,
            "download_url": f"{self.web}/{repo.full_name}/raw/{web_ref}/{path}" if is_file else None,
            "submodule_git_url": None, "_links": {"self": self_url, "git": git_url, "html": html},
        }

    def git_entries(self, repo: Repo, commit: Commit, recursive: bool) -> list[Json]:
        """GitEntry items of a commit's tree (only the top level unless `recursive`)."""
        dirs = commit.subtrees()
        entries = [(p, TREE_MODE, "tree", sha, 0) for p, sha in dirs.items()]
        entries += [(p, FILE_MODE, "blob", blob_sha(d), len(d)) for p, d in commit.files.items()]
        entries = sorted(e for e in entries if recursive or "/" not in e[0])
        return [{"path": p, "mode": mode, "type": kind, "size": size, "sha": sha,
                 "url": f"{self.api}/repos/{repo.full_name}/git/{kind}s/{sha}"} for p, mode, kind, sha, size in entries]

    def pull(self, issue: Issue, repo: Repo, *, listed: bool = False) -> Json:
        """PullRequest (services/convert/pull.go @v1.25.4; modules/structs/pull.go).

        `ToAPIPullRequest` (one pull) fills `additions`/`deletions`/`changed_files` and sends
        `requested_reviewers(_teams)` as []; `ToAPIPullRequests` (`listed`, the list route) leaves the
        three counts nil (omitempty: absent) and the reviewer lists nil (null). `review_comments` is
        an omitempty int: absent when 0. `assignees` is the issue's, null when none in the list but []
        in a single pull (`ToAPIPullRequest` wraps it in `util.SliceNilAsEmpty`).
        """
        assert issue.pull is not None
        data = self.issue(issue, repo)
        html = self.issue_html(issue, repo)
        head_commit = repo.resolve(issue.pull.head)
        base_commit = repo.resolve(issue.pull.base)
        added, removed, modified = changed_paths(base_commit.files if base_commit else {},
                                                 head_commit.files if head_commit else {})

        def branch_info(name: str, commit: Commit | None) -> Json:
            return {"label": name, "ref": name, "sha": commit.sha if commit else "", "repo_id": repo.id,
                    "repo": self.repo(repo)}
        shape = {
            "id": issue.pull.id, "url": html, "number": issue.number, "user": data["user"], "title": issue.title,
            "body": issue.body, "labels": data["labels"], "milestone": None, "assignee": data["assignee"],
            "assignees": data["assignees"] if listed else data["assignees"] or [],
            "requested_reviewers": None if listed else [],
            "requested_reviewers_teams": None if listed else [],
            "state": issue.state, "draft": issue.pull.draft, "is_locked": False, "comments": data["comments"],
            "review_comments": 0, "additions": 0, "deletions": 0, "changed_files": len(added + removed + modified),
            "html_url": html, "diff_url": f"{html}.diff", "patch_url": f"{html}.patch", "mergeable": True,
            "merged": issue.pull.merged, "merged_at": None, "merge_commit_sha": None, "merged_by": None,
            "allow_maintainer_edit": False, "base": branch_info(issue.pull.base, base_commit),
            "head": branch_info(issue.pull.head, head_commit), "merge_base": issue.pull.merge_base,
            "due_date": None, "created_at": data["created_at"], "updated_at": data["updated_at"],
            "closed_at": data["closed_at"], "pin_order": 0,
        }
        omitted = {"review_comments"} | ({"additions", "deletions", "changed_files"} if listed else set())
        return {k: v for k, v in shape.items() if k not in omitted}

    def status(self, status: Status, repo: Repo) -> Json:
        """CommitStatus (services/convert/status.go::ToCommitStatus @v1.25.4; modules/structs/status.go).

        The state field is `status`; `id` is the status's `Index`, counted per repository and commit
        from 1 (models/git/commit_status.go `GetNextCommitStatusIndex`), not its row id; `url` is the
        commit's statuses URL; `updated_at` repeats `created_at`. The creator is seen anonymously, and
        is null when `GetUserByID` cannot load it: Gitea Actions writes as user -2, which has no row
        (services/actions/commit_status.go `NewActionsUser`). `target_url` is shown as stored: Actions
        stores a path (`run.Link()` + "/jobs/N"), the webhook makes it absolute.
        """
        earlier = next((repo.statuses[:i] for i, s in enumerate(repo.statuses) if s is status), repo.statuses)
        index = 1 + sum(1 for s in earlier if s.sha == status.sha)
        creator = None if status.creator.id < 0 else self.user(status.creator, ANONYMOUS)
        return {"id": index, "status": status.state, "target_url": status.target_url,
                "description": status.description, "url": f"{self.api}/repos/{repo.full_name}/statuses/{status.sha}",
                "context": status.context, "creator": creator,
                "created_at": stamp(status.created), "updated_at": stamp(status.created)}

    def hook(self, hook: Hook, link: str = "") -> Json:
        """Hook (services/webhook/general.go `ToHook` @v1.25.4): config holds only url and content_type
        (the secret is never shown); the Authorization header is shown decrypted."""
        return {"id": hook.id, "type": hook.type, "branch_filter": hook.branch_filter,
                "config": {"content_type": hook.content_type, "url": hook.url},
                "events": list(hook.events), "authorization_header": hook.authorization_header,
                "active": hook.active, "updated_at": stamp(hook.updated), "created_at": stamp(hook.created)}

    def workflow(self, repo: Repo, name: str) -> Json:
        """ActionWorkflow (services/convert/convert.go::getActionWorkflowEntry @v1.25.4): `name` is the
        file's `name:` or else the file name itself ("ci.yml"); `created_at` and `updated_at` are both
        the author time of the default branch's head commit."""
        head = repo.resolve(None)
        path = (workflow_dir(head.files) if head else ".gitea/workflows/") + name
        when = stamp(head.when) if head else stamp(repo.created)
        return {"id": name, "name": declared_name(repo, name) or name, "path": path, "state": "active",
                "created_at": when, "updated_at": when,
                "url": f"{self.api}/repos/{repo.full_name}/actions/workflows/{name}",
                "html_url": f"{self.web}/{repo.full_name}/src/branch/{repo.default_branch}/{path}",
                "badge_url": f"{self.web}/{repo.full_name}/actions/workflows/{name}/badge.svg?branch={repo.default_branch}",
                "deleted_at": ZERO_TIME}

    def run(self, run: Run, repo: Repo) -> Json:
        """ActionWorkflowRun (convert.go `ToActionWorkflowRun` @v1.25.4).

        `head_branch` is `RefName(run.Ref).BranchName()`, "" (so, omitempty, absent) for pull_request
        and tag runs; `conclusion` is omitempty, absent until done; 1.25/1.26 never set `run_attempt` (0).
        `repository_id` and `head_repository` are never set (omitempty: absent); `repository` is
        `ToRepo` with AccessModeNone (no permissions, owner seen anonymously).
        Unset times are Unix 0 (`TimeStamp.AsLocalTime`).
        """
        attempt = run.attempt if self.state.profile.run_attempt_counts else 0
        shape = {
            "id": run.id, "url": f"{self.api}/repos/{repo.full_name}/actions/runs/{run.id}",
            "html_url": f"{self.web}/{repo.full_name}/actions/runs/{run.number}", "display_title": run.title,
            "path": f"{run.workflow}@{run.full_ref}", "event": run.event, "run_attempt": attempt,
            "run_number": run.number, "head_sha": run.head_sha,
            "head_branch": run.branch, "status": run.status, "actor": self.user(run.actor, ANONYMOUS),
            "trigger_actor": self.user(run.actor, ANONYMOUS), "repository": self.repo(repo, "none"),
            "conclusion": run.conclusion, "started_at": stamp(run.started) or UNIX_ZERO,
            "completed_at": stamp(run.completed) or UNIX_ZERO,
        }
        return {k: v for k, v in shape.items() if v not in ("", None) or k in ("display_title", "head_sha")}

    def step(self, step: Step, number: int) -> Json:
        """ActionWorkflowStep (`conclusion` omitempty)."""
        shape = {"name": step.name, "number": number, "status": step.status, "conclusion": step.conclusion,
                 "started_at": stamp(step.started) or UNIX_ZERO, "completed_at": stamp(step.completed) or UNIX_ZERO}
        return {k: v for k, v in shape.items() if k != "conclusion" or v}

    def job(self, job: Job, run: Run, repo: Repo) -> Json:
        """ActionWorkflowJob (convert.go `ToActionWorkflowJob` @v1.25.4).

        `head_branch`, `conclusion`, `runner_id` and `runner_name` are omitempty; `steps` is null until
        a runner took the job (no task yet).
        """
        index = run.jobs.index(job)
        steps = job.steps or ([Step(job.name, job.status, job.conclusion, job.started, job.completed)]
                              if job.started else [])
        shape = {
            "id": job.id, "url": f"{self.api}/repos/{repo.full_name}/actions/jobs/{job.id}",
            "html_url": f"{self.web}/{repo.full_name}/actions/runs/{run.number}/jobs/{index}",
            "run_id": run.id, "run_url": f"{self.api}/repos/{repo.full_name}/actions/runs/{run.id}",
            "name": job.name, "labels": list(job.labels), "run_attempt": job.attempt, "head_sha": run.head_sha,
            "head_branch": run.branch, "status": job.status, "conclusion": job.conclusion,
            "runner_id": 1 if job.started else 0, "runner_name": "fake-runner" if job.started else "",
            "steps": [self.step(s, number) for number, s in enumerate(steps)] or None,
            "created_at": stamp(job.created), "started_at": stamp(job.started) or UNIX_ZERO,
            "completed_at": stamp(job.completed) or UNIX_ZERO,
        }
        omit = ("head_branch", "conclusion", "runner_id", "runner_name")
        return {k: v for k, v in shape.items() if k not in omit or v}

    def task(self, job: Job, run: Run, repo: Repo) -> Json:
        """ActionTask (convert.go `ToActionTask` @v1.25.4): one attempt of a job, keyed by run number.

        `head_branch` is `run.PrettyRef()` (models/actions/run.go: the branch, or "#N" for a pull
        request's ref refs/pull/N/head); `url` is the run's web page (by run number, not run id).
        """
        pretty = run.branch or "#" + run.full_ref.removeprefix("refs/pull/").removesuffix("/head")
        status = job.conclusion or {"queued": "waiting", "in_progress": "running"}.get(job.status, job.status)
        return {"id": job.task_id, "name": job.name, "head_branch": pretty,
                "head_sha": run.head_sha, "run_number": run.number, "event": run.event,
                "display_title": run.title, "status": status, "workflow_id": run.workflow,
                "url": f"{self.web}/{repo.full_name}/actions/runs/{run.number}", "created_at": stamp(job.created),
                "updated_at": stamp(job.completed or job.started or job.created),
                "run_started_at": stamp(job.started) or UNIX_ZERO}
