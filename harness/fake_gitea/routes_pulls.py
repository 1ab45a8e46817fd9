"""Fake Gitea routes: pull requests (same-repository branches only; numbers shared with issues)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route, Trigger
from harness.fake_gitea.payloads import issue_event
from harness.fake_gitea.routes_issues import edit_state, edit_text
from harness.fake_gitea.state import Issue, Pull, Repo, now

R = "/repos/<owner>/<name>"


def find_pull(repo: Repo, number: int) -> Issue:
    """A pull request by number, or 404 (also for plain issues)."""
    issue = repo.issues.get(number)
    if issue is None or issue.pull is None:
        raise ApiError(404, f"pull request does not exist [repo_id: {repo.id}, index: {number}]")
    return issue


def open_pull(repo: Repo, number: int, author, title: str, body: str, head: str, base: str, pull_id: int,
              issue_id: int) -> Issue:
    """Record a new pull request from `head` into `base`."""
    merge_base = repo.branches[base]
    issue = Issue(issue_id, number, author, title, body, pull=Pull(pull_id, head, base, merge_base))
    repo.issues[number] = issue
    return issue


def pull_trigger(repo: Repo, issue: Issue, action: str, actor: str) -> Trigger:
    """The CI trigger of a pull request opened or reopened (its synchronisation comes with the push).

    services/actions/notifier.go `NewPullRequest` / `IssueChangeStatus` (v1.25.4) notify Actions with
    the event pull_request and, through `WithPullRequest`, the ref refs/pull/<n>/head.
    """
    return Trigger(repo.full_name, "pull_request", f"refs/pull/{issue.number}/head", repo.branches[issue.pull.head],
                   actor=actor, action=action)


def list_pulls(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/pulls (routers/api/v1/repo/pull.go::ListPullRequests @v1.25.4).

    `state` other than closed/all is open (models/issues/pull_list.go `listPullRequestStatement`);
    `base_branch` filters; newest first; Link and X-Total-Count.
    """
    repo = ctx.repo(owner, name)
    state = {"closed": "closed", "all": "all"}.get(ctx.request.args.get("state", ""), "open")
    base = ctx.request.args.get("base_branch") or None
    pulls = [i for i in sorted(repo.issues.values(), key=lambda i: -i.number)
             if i.pull and state in ("all", i.state) and base in (None, i.pull.base)]
    return ctx.page([ctx.shapes.pull(i, repo, listed=True) for i in pulls])


def get_pull(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/pulls/{number} (routers/api/v1/repo/pull.go::GetPullRequest @v1.25.4): 404 for unknown or a plain issue."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.pull(find_pull(repo, number), repo))


def create_pull(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/pulls (routers/api/v1/repo/pull.go::CreatePullRequest @v1.25.4): 201.

    `head`, `base` and `title` are Required (422 from `bind`, before anything else); head == base is
    422; an unknown branch 404 (`parseCompareInfo`); an open pull request with the same head and
    base is 409 (`ErrPullRequestAlreadyExists`).
    """
    repo = ctx.repo(owner, name)
    head, base = ctx.field("head") or "", ctx.field("base") or ""
    for key, value in (("Head", head), ("Base", base), ("Title", (ctx.field("title") or "").strip())):
        if not value:
            raise ApiError(422, f"[{key}]: Required")
    if head == base:
        raise ApiError(422, "Invalid PullRequest: There are no changes between the head and the base")
    head = head.split(":", 1)[-1]  # "owner:branch" names a branch of this repository here
    if head not in repo.branches or base not in repo.branches:
        raise ApiError(404, f"branch does not exist [head: {head}, base: {base}]")
    for other in repo.issues.values():
        if other.pull and other.state == "open" and (other.pull.head, other.pull.base) == (head, base):
            raise ApiError(409, f"pull request already exists for these targets [id: {other.pull.id}, "
                                f"issue_id: {other.id}, head_branch: {head}, base_branch: {base}]")
    issue = open_pull(repo, ctx.state.next_number(repo), ctx.signed_in(), ctx.field("title"),
                      ctx.field("body") or "", head, base, ctx.state.next_id("pull"), ctx.state.next_id("issue"))
    ctx.emit(repo, issue_event(ctx.shapes, "opened", issue, repo, issue.user))
    ctx.triggers.append(pull_trigger(repo, issue, "opened", issue.user.login))
    return ctx.json(ctx.shapes.pull(issue, repo), 201)


def edit_pull(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """PATCH /repos/{owner}/{repo}/pulls/{number} (routers/api/v1/repo/pull.go::EditPullRequest @v1.25.4): 201.

    403 unless poster or writer. In Gitea's order: title (`edited` with changes.title when it
    changed), body (`edited` with changes.body whenever given: services/issue/content.go::ChangeContent),
    state (412 for a merged pull request or an unknown state), then base (404 for an unknown branch).
    """
    repo = ctx.repo(owner, name)
    issue = find_pull(repo, number)
    me = ctx.signed_in()
    if issue.user is not me and not ctx.state.can(repo, me, "write"):
        raise ApiError(403, "")
    state, base = ctx.field("state"), ctx.field("base")
    edit_text(ctx, repo, issue, me)
    if edit_state(ctx, repo, issue, me, state) and state == "open" and issue.pull.head in repo.branches:
        ctx.triggers.append(pull_trigger(repo, issue, "reopened", me.login))
    if base and not issue.pull.merged and base != issue.pull.base:
        if base not in repo.branches:
            raise ApiError(404, f"new base '{base}' not exist")
        issue.pull.base, issue.updated = base, now()
    return ctx.json(ctx.shapes.pull(issue, repo), 201)


ROUTES = [
    Route("GET", R + "/pulls", list_pulls),
    Route("POST", R + "/pulls", create_pull),
    Route("GET", R + "/pulls/<int:number>", get_pull),
    Route("PATCH", R + "/pulls/<int:number>", edit_pull),
]
