"""Fake Gitea routes: pull requests (same-repository branches only; numbers shared with issues)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route, Trigger
from harness.fake_gitea.payloads import issue_event
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
    """GET /repos/{owner}/{repo}/pulls."""
    repo = ctx.repo(owner, name)
    state = ctx.request.args.get("state", "open")
    base = ctx.request.args.get("base_branch")
    pulls = [i for i in sorted(repo.issues.values(), key=lambda i: -i.number)
             if i.pull and state in ("all", i.state) and base in (None, i.pull.base)]
    return ctx.page([ctx.shapes.pull(i, repo) for i in pulls])


def get_pull(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/pulls/{number}."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.pull(find_pull(repo, number), repo))


def create_pull(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/pulls."""
    repo = ctx.repo(owner, name)
    head, base = ctx.field("head") or "", ctx.field("base") or ""
    head = head.split(":", 1)[-1]  # "owner:branch" names a branch of this repository here
    if head not in repo.branches or base not in repo.branches:
        raise ApiError(404, f"branch does not exist [head: {head}, base: {base}]")
    if head == base:
        raise ApiError(422, "Invalid PullRequest: There are no changes between the head and the base")
    for other in repo.issues.values():
        if other.pull and other.state == "open" and (other.pull.head, other.pull.base) == (head, base):
            raise ApiError(409, f"pull request already exists for these targets [id: {other.pull.id}, "
                                f"issue_id: {other.id}, head_branch: {head}, base_branch: {base}]")
    if not (ctx.field("title") or "").strip():
        raise ApiError(422, "[Title]: Required")
    issue = open_pull(repo, ctx.state.next_number(repo), ctx.signed_in(), ctx.field("title"),
                      ctx.field("body") or "", head, base, ctx.state.next_id("pull"), ctx.state.next_id("issue"))
    ctx.emit(repo, issue_event(ctx.shapes, "opened", issue, repo, issue.user))
    ctx.triggers.append(pull_trigger(repo, issue, "opened", issue.user.login))
    return ctx.json(ctx.shapes.pull(issue, repo), 201)


def edit_pull(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """PATCH /repos/{owner}/{repo}/pulls/{number}."""
    repo = ctx.repo(owner, name)
    issue = find_pull(repo, number)
    if issue.user is not ctx.signed_in() and not ctx.state.can(repo, ctx.user, "write"):
        raise ApiError(403, "only the poster or a writer may edit this pull request")
    changes = {key: {"from": getattr(issue, key)} for key in ("title", "body")
               if ctx.field(key) is not None and ctx.field(key) != getattr(issue, key)}
    issue.title = ctx.field("title") or issue.title
    issue.body = ctx.field("body", issue.body)
    if ctx.field("base"):
        if ctx.field("base") not in repo.branches:
            raise ApiError(404, f"branch does not exist [base: {ctx.field('base')}]")
        issue.pull.base = ctx.field("base")
    issue.updated = now()
    if changes:
        ctx.emit(repo, issue_event(ctx.shapes, "edited", issue, repo, ctx.user, changes))
    state = ctx.field("state")
    if state in ("open", "closed") and state != issue.state:
        issue.state, issue.closed = state, (now() if state == "closed" else None)
        ctx.emit(repo, issue_event(ctx.shapes, "closed" if state == "closed" else "reopened", issue, repo, ctx.user))
        if state == "open" and issue.pull.head in repo.branches:
            ctx.triggers.append(pull_trigger(repo, issue, "reopened", ctx.user.login))
    return ctx.json(ctx.shapes.pull(issue, repo), 201)


ROUTES = [
    Route("GET", R + "/pulls", list_pulls),
    Route("POST", R + "/pulls", create_pull),
    Route("GET", R + "/pulls/<int:number>", get_pull),
    Route("PATCH", R + "/pulls/<int:number>", edit_pull),
]
