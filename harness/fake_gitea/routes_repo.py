"""Fake Gitea routes: server version, current user, repositories, permissions, webhooks, downloads."""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route
from harness.fake_gitea.state import Hook, now

R = "/repos/<owner>/<name>"


def get_version(ctx: Ctx) -> Response:
    """GET /version."""
    return ctx.json({"version": ctx.state.version})


def get_user(ctx: Ctx) -> Response:
    """GET /user."""
    return ctx.json(ctx.shapes.user(ctx.signed_in()))


def get_repo(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}."""
    return ctx.json(ctx.shapes.repo(ctx.repo(owner, name)))


def get_permission(ctx: Ctx, owner: str, name: str, login: str) -> Response:
    """GET /repos/{owner}/{repo}/collaborators/{login}/permission."""
    # Gitea: site admins and repo admins may ask about anyone, others only about themselves.
    repo = ctx.repo(owner, name)
    user = ctx.state.users.get(login)
    if user is None or user.is_org:
        raise ApiError(404, f"user does not exist [name: {login}]")
    me = ctx.signed_in()
    if me.login != login and not ctx.state.can(repo, me, "admin"):
        raise ApiError(403, "Only admins can query all permissions, repo admins can query all repo permissions, "
                            "collaborators can query only their own")
    return ctx.json(ctx.shapes.permission(repo, user))


def list_hooks(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/hooks."""
    repo = ctx.repo(owner, name, "admin")
    return ctx.page([ctx.shapes.hook(h) for h in repo.hooks.values()])


def get_hook(ctx: Ctx, owner: str, name: str, hook_id: int) -> Response:
    """GET /repos/{owner}/{repo}/hooks/{hook_id}."""
    repo = ctx.repo(owner, name, "admin")
    if hook_id not in repo.hooks:
        raise ApiError(404, "hook does not exist")
    return ctx.json(ctx.shapes.hook(repo.hooks[hook_id]))


def create_hook(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/hooks."""
    repo = ctx.repo(owner, name, "admin")
    config = ctx.field("config") or {}
    if ctx.field("type") not in ("gitea", "gogs") or not config.get("url"):
        raise ApiError(422, "type must be gitea or gogs and config.url is required")
    if config.get("content_type", "json") not in ("json", "form"):
        raise ApiError(422, "Invalid content type")
    hook = Hook(ctx.state.next_id("hook"), config["url"], config.get("secret", ""), list(ctx.field("events") or []),
                config.get("content_type", "json"), bool(ctx.field("active", False)),
                ctx.field("branch_filter") or "*", ctx.field("authorization_header") or "")
    repo.hooks[hook.id] = hook
    return ctx.json(ctx.shapes.hook(hook), 201)


def edit_hook(ctx: Ctx, owner: str, name: str, hook_id: int) -> Response:
    """PATCH /repos/{owner}/{repo}/hooks/{hook_id}."""
    repo = ctx.repo(owner, name, "admin")
    hook = repo.hooks.get(hook_id)
    if hook is None:
        raise ApiError(404, "hook does not exist")
    config = ctx.field("config") or {}
    hook.url = config.get("url", hook.url)
    hook.secret = config.get("secret", hook.secret)
    hook.content_type = config.get("content_type", hook.content_type)
    for key in ("events", "active", "branch_filter", "authorization_header"):
        if ctx.field(key) is not None:
            setattr(hook, key, ctx.field(key))
    hook.updated = now()
    return ctx.json(ctx.shapes.hook(hook))


def download_attachment(ctx: Ctx, uuid: str) -> Response:
    """GET /attachments/{uuid}."""
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
    Route("GET", R + "/hooks", list_hooks),
    Route("POST", R + "/hooks", create_hook),
    Route("GET", R + "/hooks/<int:hook_id>", get_hook),
    Route("PATCH", R + "/hooks/<int:hook_id>", edit_hook),
    Route("GET", "/attachments/<uuid>", download_attachment, prefix=""),
]
