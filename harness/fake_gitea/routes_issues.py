"""Fake Gitea routes: issues, comments, reactions and attachments.

Permissions as in Gitea: anyone signed in who can read a repository may open issues and comment;
editing needs to be the poster or have write access; labels and assignees given at creation are
silently dropped without write access.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route
from harness.fake_gitea.payloads import comment_event, issue_event
from harness.fake_gitea.state import Comment, Issue, Reaction, Repo, User, now

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
    """Labels of `repo` for ids; unknown ids are dropped.

    models/issues/issue_update.go `NewIssueWithIndex` @v1.25.4 loads the labels it finds and
    "silently drops invalid labels".
    """
    return [repo.labels[i] for i in ids if i in repo.labels]


def issue_in(repo: Repo, number: int) -> Issue:
    """An issue looked up as `issues_model.GetIssueByIndex` + `APIErrorInternal`: unknown is a 500, not a 404."""
    issue = repo.issues.get(number)
    if issue is None:
        raise ApiError(500, f"issue does not exist [id: 0, repo_id: {repo.id}, index: {number}]")
    return issue


def list_issues(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/issues (routers/api/v1/repo/issue.go::ListIssues @v1.25.4).

    `state` other than closed/all means open; `labels` names that do not exist in the repository are
    ignored (`GetLabelIDsInRepoByNames`), the others must all be on the issue; `type` is issues or
    pulls; newest first; Link and X-Total-Count.
    """
    repo = ctx.repo(owner, name)
    args = ctx.request.args
    state = {"closed": "closed", "all": "all"}.get(args.get("state", ""), "open")
    known = {label.name for label in repo.labels.values()}
    wanted = {n for n in args.get("labels", "").split(",") if n in known}
    kind = {"pulls": True, "issues": False}.get(args.get("type", ""))
    items = [
        i for i in sorted(repo.issues.values(), key=lambda i: -i.number)
        if state in ("all", i.state) and wanted <= {label.name for label in i.labels}
        and (kind is None or kind == (i.pull is not None))
    ]
    return ctx.page([ctx.shapes.issue(i, repo) for i in items])


def get_issue(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number} (routers/api/v1/repo/issue.go::GetIssue @v1.25.4): 404 when unknown."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.issue(find_issue(repo, number), repo))


def create_issue(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/issues (routers/api/v1/repo/issue.go::CreateIssue @v1.25.4): 201.

    `title` is `binding:"Required"` (422). Labels and assignees count only with write access:
    unknown label ids are dropped, an unknown assignee is 422. services/issue/issue.go::NewIssue
    notifies `opened`, then `label_updated` when labels were set; `closed: true` closes it at once.
    """
    repo = ctx.repo(owner, name)
    title = (ctx.field("title") or "").strip()
    if not title:
        raise ApiError(422, "[Title]: Required")
    issue = Issue(ctx.state.next_id("issue"), ctx.state.next_number(repo), ctx.signed_in(), title,
                  ctx.field("body") or "")
    if ctx.state.can(repo, ctx.user, "write"):
        issue.labels = labels_by_id(repo, list(ctx.field("labels") or []))
        issue.assignees = _assignees(ctx, [ctx.field("assignee") or "", *(ctx.field("assignees") or [])])
    repo.issues[issue.number] = issue
    ctx.emit(repo, issue_event(ctx.shapes, "opened", issue, repo, issue.user))
    if issue.labels:
        ctx.emit(repo, issue_event(ctx.shapes, "label_updated", issue, repo, issue.user))
    if ctx.field("closed") is True:
        issue.state, issue.closed = "closed", now()
        ctx.emit(repo, issue_event(ctx.shapes, "closed", issue, repo, issue.user))
    return ctx.json(ctx.shapes.issue(issue, repo), 201)


def _assignees(ctx: Ctx, logins: list[str]) -> list:
    """models/issues/issue.go `MakeIDsFromAPIAssigneesToAdd`: 422 "Assignee does not exist" for an unknown login."""
    users = []
    for login in dict.fromkeys(a for a in logins if a):
        if login not in ctx.state.users:
            raise ApiError(422, f"Assignee does not exist: [name: user redirect does not exist [name: {login}]]")
        users.append(ctx.state.users[login])
    return users


def edit_text(ctx: Ctx, repo: Repo, issue: Issue, me: User) -> None:
    """A PATCH's title and body (issue.go `EditIssue`, pull.go `EditPullRequest` @v1.25.4): a changed title and a
    given body are two `edited` deliveries; a body that is sent is an edit even when unchanged
    (services/issue/content.go::ChangeContent @v1.25.4)."""
    title, body = ctx.field("title") or "", ctx.field("body")
    if title and title != issue.title:
        old, issue.title, issue.updated = issue.title, title, now()
        ctx.emit(repo, issue_event(ctx.shapes, "edited", issue, repo, me, {"title": {"from": old}}))
    if body is not None:
        old, issue.body, issue.updated = issue.body, body, now()
        ctx.emit(repo, issue_event(ctx.shapes, "edited", issue, repo, me, {"body": {"from": old}}))


def edit_state(ctx: Ctx, repo: Repo, issue: Issue, me: User, state: str | None) -> bool:
    """A PATCH's state (`EditIssue` / `EditPullRequest` @v1.25.4): a merged pull request's and an unknown state are
    412; a change is a `closed` or `reopened` delivery. True when the state changed."""
    if state is None:
        return False
    if issue.pull and issue.pull.merged:
        raise ApiError(412, "cannot change state of this pull request, it was already merged")
    if state not in ("open", "closed"):
        raise ApiError(412, f"unknown state: {state}")
    if state == issue.state:
        return False
    issue.state, issue.closed, issue.updated = state, (now() if state == "closed" else None), now()
    ctx.emit(repo, issue_event(ctx.shapes, "closed" if state == "closed" else "reopened", issue, repo, me))
    return True


def edit_issue(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """PATCH /repos/{owner}/{repo}/issues/{number} (routers/api/v1/repo/issue.go::EditIssue @v1.25.4): 201.

    404 unknown, 403 unless poster or writer. A changed title notifies `edited` with changes.title
    (services/issue/issue.go::ChangeTitle skips an unchanged title); a given body ALWAYS notifies
    `edited` with changes.body, even when equal (services/issue/content.go::ChangeContent), as a
    separate delivery. `state` other than open/closed is 412 (`closeOrReopenIssue`), and so is
    changing the state of a merged pull request.
    """
    repo = ctx.repo(owner, name)
    issue = find_issue(repo, number)
    me = ctx.signed_in()
    if issue.user is not me and not ctx.state.can(repo, me, "write"):
        raise ApiError(403, "")
    state = ctx.field("state")
    edit_text(ctx, repo, issue, me)
    if ctx.state.can(repo, me, "write") and (ctx.field("assignees") is not None or ctx.field("assignee") is not None):
        issue.assignees = _assignees(ctx, [ctx.field("assignee") or "", *(ctx.field("assignees") or [])])
    edit_state(ctx, repo, issue, me, state)
    return ctx.json(ctx.shapes.issue(issue, repo), 201)


def list_comments(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/comments (routers/api/v1/repo/issue_comment.go::ListIssueComments @v1.25.4).

    Not paged: every comment, oldest first, with X-Total-Count and no Link. An unknown issue is a
    500 (`GetIssueByIndex` error goes to `APIErrorInternal`).
    """
    repo = ctx.repo(owner, name)
    issue = issue_in(repo, number)
    items = [ctx.shapes.comment(c, repo) for c in repo.comments.values() if c.issue is issue]
    return ctx.json(items, headers=ctx.total_header(len(items)))


def get_comment(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/comments/{comment_id} (routers/api/v1/repo/issue_comment.go::GetIssueComment @v1.25.4)."""
    repo = ctx.repo(owner, name)
    return ctx.json(ctx.shapes.comment(find_comment(repo, comment_id), repo))


def create_comment(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/{number}/comments (routers/api/v1/repo/issue_comment.go::CreateIssueComment @v1.25.4).

    201. `body` is `binding:"Required"`: 422, checked (by `bind`) before the issue is looked up; an
    unknown issue is then a 500, not a 404.
    """
    repo = ctx.repo(owner, name)
    if not ctx.field("body"):
        raise ApiError(422, "[Body]: Required")
    issue = issue_in(repo, number)
    comment = Comment(ctx.state.next_id("comment"), issue, ctx.signed_in(), ctx.field("body"))
    repo.comments[comment.id] = comment
    issue.updated = now()
    ctx.emit(repo, comment_event(ctx.shapes, "created", comment, repo, comment.user))
    return ctx.json(ctx.shapes.comment(comment, repo), 201)


def edit_comment(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} (routers/api/v1/repo/issue_comment.go::editIssueComment @v1.25.4).

    200. The `bind` of `body` (Required, 422) runs before the handler: then 404 unknown, 403 unless
    poster or writer. `edited` is notified only when the body changed.
    """
    repo = ctx.repo(owner, name)
    if not ctx.field("body"):
        raise ApiError(422, "[Body]: Required")
    comment = find_comment(repo, comment_id)
    if comment.user is not ctx.signed_in() and not ctx.state.can(repo, ctx.user, "write"):
        raise ApiError(403, "")
    changes = {"body": {"from": comment.body}}
    comment.body, comment.updated = ctx.field("body"), now()
    if changes["body"]["from"] != comment.body:
        ctx.emit(repo, comment_event(ctx.shapes, "edited", comment, repo, ctx.signed_in(), changes))
    return ctx.json(ctx.shapes.comment(comment, repo))


def issue_reactions(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/reactions (routers/api/v1/repo/issue_reaction.go::GetIssueReactions @v1.25.4).

    Paged with X-Total-Count but no Link; no reactions is JSON null (a nil `[]api.Reaction`).
    """
    repo = ctx.repo(owner, name)
    items = [ctx.shapes.reaction(r) for r in find_issue(repo, number).reactions]
    return ctx.page(items, link=False, null_empty=True)


def comment_reactions(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions (routers/api/v1/repo/issue_reaction.go::GetIssueCommentReactions @v1.25.4).

    Not paged, no headers; no reactions is JSON null (a nil `[]api.Reaction`).
    """
    repo = ctx.repo(owner, name)
    return ctx.json([ctx.shapes.reaction(r) for r in find_comment(repo, comment_id).reactions] or None)


ALLOWED_REACTIONS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")  # setting.UI.Reactions


def post_comment_reaction(ctx: Ctx, owner: str, name: str, comment_id: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions.

    routers/api/v1/repo/issue_reaction.go::changeIssueCommentReaction @v1.25.4: 403 for a reaction not
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
    """GET /repos/{owner}/{repo}/issues/{number}/assets (routers/api/v1/repo/issue_attachment.go::ListIssueAttachments @v1.25.4): the issue's `assets`, [] when none."""
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
