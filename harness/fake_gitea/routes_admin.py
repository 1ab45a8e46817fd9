"""Fake Gitea routes for setting a scenario up the way an admin does on a real Gitea.

Users, tokens, organisations, repositories (empty or initialised), collaborators and repository
settings. Gitea sources (v1.25.4): routers/api/v1/api.go (registration and permission checks),
routers/api/v1/admin/user.go `CreateUser`, admin/repo.go `CreateRepo`, user/app.go
`CreateAccessToken`, repo/repo.go `Create`/`CreateUserRepo`/`Edit`, repo/collaborators.go
`AddOrUpdateCollaborator`, org/org.go `Create`; services/repository/create.go `initRepository`.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route
from harness.fake_gitea.auth import Token, normalize_scopes
from harness.fake_gitea.serialize import ZERO_TIME
from harness.fake_gitea.state import User

R = "/repos/<owner>/<name>"
NAME = re.compile(r"^[A-Za-z0-9_.-]+$")  # modules/validation `IsValidUsername` / repo `AlphaDashDot`


def create_user(ctx: Ctx) -> Response:
    """POST /admin/users (site admin) (routers/api/v1/admin/user.go::CreateUser @v1.25.4): 201 User; 422 when the name is taken or invalid."""
    ctx.site_admin()
    login, password = ctx.field("username") or "", ctx.field("password") or ""
    if not NAME.match(login) or not ctx.field("email"):
        raise ApiError(422, "[Username]: invalid; [Email]: Required")
    if login.lower() in {u.lower() for u in ctx.state.users}:
        raise ApiError(422, f"user already exists [name: {login}]")
    user = ctx.state.add_user(login, full_name=ctx.field("full_name") or "")
    user.token, user.password, user.email_address = None, password, ctx.field("email")
    return ctx.json(ctx.shapes.user(user), 201)


def create_token(ctx: Ctx, login: str) -> Response:
    """POST /users/{username}/tokens (routers/api/v1/user/app.go::CreateAccessToken @v1.25.4): `reqSelfOrAdmin`, `reqBasicOrRevProxyAuth` (a password, not a token)."""
    if not ctx.basic:
        raise ApiError(401, "auth required")
    me, user = ctx.signed_in(), ctx.state.users.get(login)
    if user is None:
        raise ApiError(404, "The target couldn't be found.")
    if not me.admin and me is not user:
        raise ApiError(403, "doer should be the site admin or be same as the contextUser")
    name = ctx.field("name") or ""
    if any(t.name == name for t in user.tokens):
        raise ApiError(400, "access token name has been used already")
    try:
        scopes = normalize_scopes(list(ctx.field("scopes") or []))
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    if not scopes:
        raise ApiError(400, "access token must have a scope")
    token = Token(ctx.state.next_id("token"), name, scopes=scopes)
    user.tokens.append(token)
    # user/app.go fills neither Created nor Updated: Go's zero time is printed
    return ctx.json({"id": token.id, "name": token.name, "sha1": token.sha, "token_last_eight": token.last_eight,
                     "scopes": list(token.scopes), "created_at": ZERO_TIME, "last_used_at": ZERO_TIME}, 201)


def create_org(ctx: Ctx) -> Response:
    """POST /orgs (routers/api/v1/org/org.go::Create @v1.25.4): the creator joins the Owners team; 201 Organization."""
    me = ctx.signed_in()
    login = ctx.field("username") or ""
    if not NAME.match(login):
        raise ApiError(422, "[UserName]: invalid")
    if login in ctx.state.users:
        raise ApiError(422, f"user already exists [name: {login}]")
    org = ctx.state.add_user(login, is_org=True, full_name=ctx.field("full_name") or "")
    ctx.state.org_owners.setdefault(me.login, set()).add(login)
    return ctx.json(ctx.shapes.organization(org), 201)


def _create_repo(ctx: Ctx, owner: User) -> Response:
    """CreateRepoOption → repository; `auto_init` makes the first commit (README.md), else it is empty."""
    name = ctx.field("name") or ""
    if not NAME.match(name):
        raise ApiError(422, "[Name]: invalid repository name")
    full = f"{owner.login}/{name}"
    if full in ctx.state.repos:
        raise ApiError(409, "The repository with the same name already exists.")
    branch = ctx.field("default_branch") or "main"  # setting.Repository.DefaultBranch
    files = {"README.md": f"# {name}\n\n{ctx.field('description') or ''}\n".encode()}
    repo = ctx.state.add_repo(full, default_branch=branch, files=files, private=bool(ctx.field("private")),
                              description=ctx.field("description") or "", empty=not ctx.field("auto_init"))
    for member in ctx.state.org_owners:
        if owner.login in ctx.state.org_owners[member]:
            repo.permissions[member] = "owner"
    return ctx.json(ctx.shapes.repo(repo), 201)


def create_my_repo(ctx: Ctx) -> Response:
    """POST /user/repos (routers/api/v1/repo/repo.go::Create @v1.25.4): a repository of the caller."""
    return _create_repo(ctx, ctx.signed_in())


def create_user_repo(ctx: Ctx, login: str) -> Response:
    """POST /admin/users/{username}/repos (routers/api/v1/admin/repo.go::CreateRepo @v1.25.4): site admin, for a user or organisation."""
    ctx.site_admin()
    owner = ctx.state.users.get(login)
    if owner is None:
        raise ApiError(404, "The target couldn't be found.")
    return _create_repo(ctx, owner)


def create_org_repo(ctx: Ctx, org: str) -> Response:
    """POST /orgs/{org}/repos (routers/api/v1/repo/repo.go::CreateOrgRepo @v1.25.4): an owner of the organisation (or site admin)."""
    me, owner = ctx.signed_in(), ctx.state.users.get(org)
    if owner is None or not owner.is_org:
        raise ApiError(404, "The target couldn't be found.")
    if not me.admin and org not in ctx.state.org_owners.get(me.login, set()):
        raise ApiError(403, "Given user is not allowed to create repository in organization.")
    return _create_repo(ctx, owner)


def add_collaborator(ctx: Ctx, owner: str, name: str, login: str) -> Response:
    """PUT /repos/{owner}/{repo}/collaborators/{collaborator} (routers/api/v1/repo/collaborators.go::AddOrUpdateCollaborator @v1.25.4, `reqAdmin`): 204; permission read/write/admin."""
    repo = ctx.repo(owner, name, "admin")
    user = ctx.state.users.get(login)
    if user is None:
        raise ApiError(422, f"user does not exist [name: {login}]")
    level = ctx.field("permission") or "write"  # AddCollaboratorOption: write when absent
    if level not in ("read", "write", "admin"):
        raise ApiError(422, f"invalid permission {level!r}")
    repo.permissions[user.login] = level
    return ctx.empty(204)


def edit_repo(ctx: Ctx, owner: str, name: str) -> Response:
    """PATCH /repos/{owner}/{repo} (routers/api/v1/repo/repo.go::Edit @v1.25.4, `reqAdmin`): 200 Repository."""
    repo = ctx.repo(owner, name, "admin")
    for key in ("description", "private", "has_issues"):
        if ctx.field(key) is not None:
            setattr(repo, key, ctx.field(key))
    tracker = ctx.field("internal_tracker") or {}
    if "enable_issue_dependencies" in tracker:
        repo.enable_dependencies = bool(tracker["enable_issue_dependencies"])
    branch = ctx.field("default_branch")
    if branch:
        if not repo.empty and branch not in repo.branches:
            raise ApiError(404, f"branch does not exist [name: {branch}]")
        repo.default_branch = branch
    return ctx.json(ctx.shapes.repo(repo))


ROUTES = [
    Route("POST", "/admin/users", create_user),
    Route("POST", "/users/<login>/tokens", create_token),
    Route("POST", "/orgs", create_org),
    Route("POST", "/user/repos", create_my_repo),
    Route("POST", "/admin/users/<login>/repos", create_user_repo),
    Route("POST", "/orgs/<org>/repos", create_org_repo),
    Route("PUT", R + "/collaborators/<login>", add_collaborator),
    Route("PATCH", R, edit_repo),
]
