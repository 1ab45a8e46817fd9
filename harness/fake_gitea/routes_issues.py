"""Fake Gitea routes: issues, comments, reactions and attachments.

Permissions as in Gitea: anyone signed in who can read a repository may open issues and comment;
editing needs to be the poster or have write access; labels and assignees given at creation are
silently dropped without write access.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route
from harness.fake_gitea.payloads import comment_event, issue_event
from harness.fake_gitea.state import Comment, Issue, Reaction, Repo, now

R = "/repos/<owner>/<name>"


def find_issue(repo: Repo, number: int) -> Issue:
    """An issue or pull request by number, or 404."""
    issue = repo.issues.get(number)
    if issue is None:
        raise ApiError(404, f"issue does not exist [repo_id: {repo.id}, index: {number}]")
    return issue


def find_comment(repo: Repo, comment_id: int) -> Comment:
    """A comment of the repository by id, or 404."""
    comment = repo.comments.get(comment_id)
    if comment is None:
        raise ApiError(404, f"comment does not exist [id: {comment_id}]")
    return comment


def labels_by_id(repo: Repo, ids: list[int]) -> list:
    """Labels of `repo` for ids (422 for an unknown id)."""
    missing = [i for i in ids if i not in repo.labels]
    if missing:
        raise ApiError(422, f"label does not exist [ids: {missing}]")
    return [repo.labels[i] for i in ids]


def list_issues(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/issues."""
    repo = ctx.repo(owner, name)
    args = ctx.request.args
    state = args.get("state", "open")
    wanted = {n for n in args.get("labels", "").split(",") if n}
    kind = args.get("type")
    items = [
        i for i in sorted(repo.issues.values(), key=lambda i: -i.number)
        if state in ("all", i.state) and wanted <= {label.name for label in i.labels}
        and (kind is None or (kind == "pulls") == (i.pull is not None))
    ]
    return ctx.page([ctx.shapes.issue(i, repo) for i in items])


def get_issue(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.issue(find_issue(repo, number), repo))


def create_issue(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/issues."""
    repo = ctx.repo(owner, name)
    title = (ctx.field("title") or "").strip()
    if not title:
        raise ApiError(422, "[Title]: Required")
    issue = Issue(ctx.state.next_id("issue"), ctx.state.next_number(repo), ctx.signed_in(), title,
                  ctx.field("body") or "")
    if ctx.state.can(repo, ctx.user, "write"):
        issue.labels = labels_by_id(repo, list(ctx.field("labels") or []))
        issue.assignees = [ctx.state.users[a] for a in ctx.field("assignees") or [] if a in ctx.state.users]
    repo.issues[issue.number] = issue
    ctx.emit(repo, issue_event(ctx.shapes, "opened", issue, repo, issue.user))
    return ctx.json(ctx.shapes.issue(issue, repo), 201)


def edit_issue(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """PATCH /repos/{owner}/{repo}/issues/{number}."""
    repo = ctx.repo(owner, name)
    issue = find_issue(repo, number)
    if issue.user is not ctx.user and not ctx.state.can(repo, ctx.user, "write"):
        raise ApiError(403, "only the poster or a writer may edit this issue")
    changes = {key: {"from": getattr(issue, key)} for key in ("title", "body")
               if ctx.field(key) is not None and ctx.field(key) != getattr(issue, key)}
    issue.title = ctx.field("title") or issue.title
    issue.body = ctx.field("body", issue.body)
    if ctx.field("assignees") is not None and ctx.state.can(repo, ctx.user, "write"):
        issue.assignees = [ctx.state.users[a] for a in ctx.field("assignees") if a in ctx.state.users]
    issue.updated = now()
    if changes:
        ctx.emit(repo, issue_event(ctx.shapes, "edited", issue, repo, ctx.signed_in(), changes))
    state = ctx.field("state")
    if state in ("open", "closed") and state != issue.state:
        issue.state, issue.closed = state, (now() if state == "closed" else None)
        ctx.emit(repo, issue_event(ctx.shapes, "closed" if state == "closed" else "reopened", issue, repo,
                                   ctx.signed_in()))
    return ctx.json(ctx.shapes.issue(issue, repo), 201)


def list_comments(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/comments."""
    repo = ctx.repo(owner, name)
    issue = find_issue(repo, number)
    return ctx.json([ctx.shapes.comment(c, repo) for c in repo.comments.values() if c.issue is issue])


def get_comment(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/comments/{comment_id}."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.comment(find_comment(repo, comment_id), repo))


def create_comment(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/{number}/comments."""
    repo = ctx.repo(owner, name)
    issue = find_issue(repo, number)
    if not ctx.field("body"):
        raise ApiError(422, "[Body]: Required")
    comment = Comment(ctx.state.next_id("comment"), issue, ctx.signed_in(), ctx.field("body"))
    repo.comments[comment.id] = comment
    issue.updated = now()
    ctx.emit(repo, comment_event(ctx.shapes, "created", comment, repo, comment.user))
    return ctx.json(ctx.shapes.comment(comment, repo), 201)


def edit_comment(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}."""
    repo = ctx.repo(owner, name)
    comment = find_comment(repo, comment_id)
    if comment.user is not ctx.signed_in() and not ctx.state.can(repo, ctx.user, "write"):
        raise ApiError(403, "only the poster or a writer may edit this comment")
    if not ctx.field("body"):
        raise ApiError(422, "[Body]: Required")
    changes = {"body": {"from": comment.body}}
    comment.body, comment.updated = ctx.field("body"), now()
    if changes["body"]["from"] != comment.body:
        ctx.emit(repo, comment_event(ctx.shapes, "edited", comment, repo, ctx.signed_in(), changes))
    return ctx.json(ctx.shapes.comment(comment, repo))


def issue_reactions(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/reactions."""
    repo = ctx.repo(owner, name)
    return ctx.page([ctx.shapes.reaction(r) for r in find_issue(repo, number).reactions])


def comment_reactions(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions."""
    repo = ctx.repo(owner, name)
    return ctx.json([ctx.shapes.reaction(r) for r in find_comment(repo, comment_id).reactions])


ALLOWED_REACTIONS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")  # setting.UI.Reactions


def post_comment_reaction(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions.

    routers/api/v1/repo/issue_reaction.go `changeIssueCommentReaction` @v1.25.4: 403 for a reaction not
    in setting.UI.Reactions, 200 with the existing reaction when the user already gave it, else 201.
    """
    repo = ctx.repo(owner, name)
    comment = find_comment(repo, comment_id)
    content = str(ctx.field("content") or "")
    if content not in ALLOWED_REACTIONS:
        raise ApiError(403, f"'{content}' is not an allowed reaction")
    me = ctx.signed_in()
    existing = next((r for r in comment.reactions if r.user is me and r.content == content), None)
    if existing is not None:
        return ctx.json(ctx.shapes.reaction(existing))
    reaction = Reaction(me, content)
    comment.reactions.append(reaction)
    return ctx.json(ctx.shapes.reaction(reaction), 201)


def issue_attachments(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/assets."""
    repo = ctx.repo(owner, name)
    return ctx.json([ctx.shapes.attachment(a) for a in find_issue(repo, number).attachments])


ROUTES = [
    Route("GET", R + "/issues", list_issues),
    Route("POST", R + "/issues", create_issue),
    Route("GET", R + "/issues/<int:number>", get_issue),
    Route("PATCH", R + "/issues/<int:number>", edit_issue),
    Route("GET", R + "/issues/<int:number>/comments", list_comments),
    Route("POST", R + "/issues/<int:number>/comments", create_comment),
    Route("GET", R + "/issues/comments/<int:comment_id>", get_comment),
    Route("PATCH", R + "/issues/comments/<int:comment_id>", edit_comment),
    Route("GET", R + "/issues/<int:number>/reactions", issue_reactions),
    Route("GET", R + "/issues/comments/<int:comment_id>/reactions", comment_reactions),
    Route("POST", R + "/issues/comments/<int:comment_id>/reactions", post_comment_reaction),
    Route("GET", R + "/issues/<int:number>/assets", issue_attachments),
]
