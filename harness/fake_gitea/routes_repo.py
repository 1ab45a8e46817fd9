"""Fake Gitea routes: server version, current user, repositories, permissions, webhooks, downloads."""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route

R = "/repos/<owner>/<name>"


def get_version(ctx: Ctx) -> Response:
    """GET /version (routers/api/v1/misc/version.go::Version @v1.25.4)."""
    return ctx.json({"version": ctx.state.version})


def get_user(ctx: Ctx) -> Response:
    """GET /user (routers/api/v1/user/user.go::GetAuthenticatedUser @v1.25.4)."""
    return ctx.json(ctx.shapes.user(ctx.signed_in()))


def get_repo(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo} (routers/api/v1/repo/repo.go::Get @v1.25.4)."""
    return ctx.json(ctx.shapes.repo(ctx.repo(owner, name)))


def get_permission(ctx: Ctx, owner: str, name: str, login: str) -> Response:
    """GET /repos/{owner}/{repo}/collaborators/{login}/permission (routers/api/v1/repo/collaborators.go::GetRepoPermissions @v1.25.4).

    The permission check comes first: anyone but a site admin, a repository admin or the user
    themself gets 403, even for an unknown user (404 only after the check).
    """
    repo = ctx.repo(owner, name)
    me = ctx.signed_in()
    if not me.admin and me.login.lower() != login.lower() and not ctx.state.can(repo, me, "admin"):
        raise ApiError(403, "Only admins can query all permissions, repo admins can query all repo permissions, "
                            "collaborators can query only their own")
    user = ctx.state.users.get(login)
    if user is None:
        raise ApiError(404, f"user redirect does not exist [name: {login}]")
    return ctx.json(ctx.shapes.permission(repo, user))


def download_attachment(ctx: Ctx, uuid: str) -> Response:
    """GET /attachments/{uuid} (routers/web/repo/attachment.go::GetAttachment @v1.25.4)."""
    for repo in ctx.state.repos.values():
        for issue in repo.issues.values():
            for item in issue.attachments:
                if item.uuid == uuid and ctx.state.can(repo, ctx.user, "read"):
                    headers = {"Content-Disposition": f'attachment; filename="{item.name}"'}
                    return Response(item.data, 200, headers, content_type="application/octet-stream")
    raise ApiError(404, "attachment does not exist")


ROUTES = [
    Route("GET", "/version", get_version),
    Route("GET", "/user", get_user),
    Route("GET", R, get_repo),
    Route("GET", R + "/collaborators/<login>/permission", get_permission),
    Route("GET", "/attachments/<uuid>", download_attachment, prefix=""),
]
