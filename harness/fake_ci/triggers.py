"""Which runs a push or a pull request starts in the fake CI, decided the way Gitea's Actions notifier does.

Sources (Gitea v1.25.4): services/actions/notifier_helper.go `notify` / `handleWorkflows` (one run
per matching workflow, read from the commit of the event's ref), modules/actions/workflows.go
`DetectWorkflows` / `matchPushEvent` / `matchPullRequestEvent`, services/actions/notifier.go
`NewPullRequest`, `IssueChangeStatus` and `PullRequestSynchronized`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from harness.fake_gitea import ci
from harness.fake_gitea.app import Trigger
from harness.fake_gitea.state import Issue, Repo, Run, State, User
from harness.fake_gitea.workflow_spec import WorkflowFileError, WorkflowSpec, glob_match, parse_workflow, workflow_files

log = logging.getLogger(__name__)
# modules/setting/actions.go `SkipWorkflowStrings` default: a commit message (or a pull request title)
# holding one of these starts no push or pull_request run (notifier_helper.go `skipWorkflows`).
SKIP_STRINGS = ("[skip ci]", "[ci skip]", "[no ci]", "[skip actions]", "[actions skip]")


def workflows(files: Mapping[str, bytes]) -> dict[str, WorkflowSpec]:
    """The readable workflows of a snapshot (Gitea skips a file it cannot parse)."""
    found = {}
    for file, text in workflow_files(files).items():
        try:
            found[file] = parse_workflow(file, text)
        except WorkflowFileError as exc:
            log.warning("fake CI: %s", exc)
    return found


def push_runs(state: State, repo: Repo, trigger: Trigger, branches: Sequence[str]) -> list[Run]:
    """The push runs of a push onto a branch matching the runner's `branches` globs."""
    branch = trigger.ref.removeprefix("refs/heads/")
    if not any(glob_match(pattern, branch) for pattern in branches):
        return []
    commit = repo.commits[trigger.sha]
    if _skipped(commit.message):
        return []
    actor = state.users.get(trigger.actor or "") or repo.owner
    runs = []
    for file, spec in workflows(commit.files).items():
        if spec.jobs and spec.runs_on_push(branch):
            runs.append(ci.new_run(state, repo, workflow=file, head_sha=commit.sha, head_branch=branch,
                                   event="push", actor=actor, jobs=_jobs(spec)))
    return runs


def opened_runs(state: State, repo: Repo, trigger: Trigger) -> list[Run]:
    """The runs of a pull request opened or reopened (a Trigger with event "pull_request")."""
    number = int(trigger.ref.removeprefix("refs/pull/").removesuffix("/head"))
    issue = repo.issues.get(number)
    if issue is None or issue.pull is None:
        return []
    actor = state.users.get(trigger.actor or "") or issue.user
    return _pull_runs(state, repo, issue, trigger.action or "opened", "pull_request", actor)


def synchronized_runs(state: State, repo: Repo, trigger: Trigger) -> list[Run]:
    """The runs of every open pull request whose head branch the push moved.

    Gitea's push queue calls `AddTestPullRequestTask`, which notifies `PullRequestSynchronized` for
    each open pull request from the pushed branch: the webhook event, and so the run's `event`, is
    pull_request_sync (modules/webhook/type.go HookEventPullRequestSync).
    """
    branch = trigger.ref.removeprefix("refs/heads/")
    actor = state.users.get(trigger.actor or "") or repo.owner
    runs: list[Run] = []
    for issue in sorted(repo.issues.values(), key=lambda i: i.number):
        if issue.pull and issue.state == "open" and not issue.pull.merged and issue.pull.head == branch:
            runs += _pull_runs(state, repo, issue, "synchronized", "pull_request_sync", actor)
    return runs


def _pull_runs(state: State, repo: Repo, issue: Issue, action: str, event: str, actor: User) -> list[Run]:
    """One run per workflow of the head commit whose `on: pull_request` matches (ref refs/pull/<n>/head).

    notifier_helper.go `notify`: the workflows are read from the commit the ref points at (the pull
    request's head), the run's Ref is `pr.GetGitHeadRefName()` and its CommitSHA that commit.
    """
    assert issue.pull is not None
    head = repo.branches.get(issue.pull.head)
    if head is None or issue.pull.base not in repo.branches:
        return []
    commit = repo.commits[head]
    if _skipped(commit.message, issue.title):
        return []
    base = repo.commits.get(issue.pull.merge_base)
    changed = _changed(base.files if base else {}, commit.files)
    runs = []
    for file, spec in workflows(commit.files).items():
        if spec.jobs and spec.runs_on_pull_request(action, issue.pull.base, changed):
            runs.append(ci.new_run(state, repo, workflow=file, head_sha=commit.sha, head_branch=issue.pull.head,
                                   event=event, actor=actor, jobs=_jobs(spec),
                                   ref=f"refs/pull/{issue.number}/head"))
    return runs


def _jobs(spec: WorkflowSpec) -> list[dict[str, object]]:
    return [{"name": j.name, "labels": list(j.labels)} for j in spec.jobs]


def _changed(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> list[str]:
    """`GetFilesChangedSinceCommit(merge base)`: paths added, changed or deleted."""
    return sorted(p for p in {*before, *after} if before.get(p) != after.get(p))


def _skipped(message: str, title: str = "") -> bool:
    return any(s in title or s in message for s in SKIP_STRINGS)
