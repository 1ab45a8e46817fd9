"""Fake Gitea routes: repository and organisation webhooks, and test deliveries.

Gitea sources (v1.25.4): routers/api/v1/api.go registers repository hooks under `reqToken(),
reqAdmin()` and organisation hooks under `reqToken(), reqOrgOwnership()`; the handlers are in
routers/api/v1/repo/hook.go, routers/api/v1/org/hook.go and routers/api/v1/utils/hook.go
(`addHook`, `editHook`), the JSON in services/webhook/general.go `ToHook`.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route
from harness.fake_gitea.payloads import push_event
from harness.fake_gitea.state import Hook, User, now
from harness.fake_gitea.webhooks import expand_events

R = "/repos/<owner>/<name>"
O = "/orgs/<org>"
TYPES = ("dingtalk", "discord", "gitea", "gogs", "msteams", "slack", "telegram", "feishu", "wechatwork",
         "packagist", "matrix")


def _valid_url(url: object) -> bool:
    return isinstance(url, str) and url.startswith(("http://", "https://"))


def new_hook(ctx: Ctx) -> Hook:
    """A hook from a CreateHookOption body (utils/hook.go `checkCreateHookOption`, `addHook`)."""
    kind, config = ctx.field("type"), ctx.field("config") or {}
    if kind not in TYPES:
        raise ApiError(422, f"Invalid hook type: {kind}")
    for key in ("url", "content_type"):
        if key not in config:
            raise ApiError(422, f"Missing config option: {key}")
    if config["content_type"] not in ("json", "form"):
        raise ApiError(422, "Invalid content type")
    if not _valid_url(config["url"]):
        raise ApiError(422, "Invalid url")
    # `active` is a plain bool in CreateHookOption: absent means an inactive hook; an absent
    # branch_filter is stored as "" (which matches every branch).
    return Hook(ctx.state.next_id("hook"), config["url"], config.get("secret", ""),
                expand_events(list(ctx.field("events") or [])), config["content_type"],
                bool(ctx.field("active", False)), ctx.field("branch_filter") or "",
                ctx.field("authorization_header") or "", kind)


def edit(ctx: Ctx, hook: Hook) -> Hook:
    """utils/hook.go `editHook`: only `url` and `content_type` of `config` are read (the secret never
    changes); events, branch filter and Authorization header are replaced by what is sent (absent:
    push only, "" and none); `active` only when sent."""
    config = ctx.field("config") or {}
    if "url" in config:
        if not _valid_url(config["url"]):
            raise ApiError(422, "Invalid url")
        hook.url = config["url"]
    if "content_type" in config:
        if config["content_type"] not in ("json", "form"):
            raise ApiError(422, "Invalid content type")
        hook.content_type = config["content_type"]
    hook.events = expand_events(list(ctx.field("events") or []))
    hook.branch_filter = ctx.field("branch_filter") or ""
    hook.authorization_header = ctx.field("authorization_header") or ""
    if ctx.field("active") is not None:
        hook.active = bool(ctx.field("active"))
    hook.updated = now()
    return hook


def _repo_hook(ctx: Ctx, owner: str, name: str, hook_id: int) -> tuple:
    repo = ctx.repo(owner, name, "admin")
    if hook_id not in repo.hooks:
        raise ApiError(404, "The target couldn't be found.")
    return repo, repo.hooks[hook_id]


def list_hooks(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/hooks (routers/api/v1/repo/hook.go::ListHooks @v1.25.4)."""
    repo = ctx.repo(owner, name, "admin")
    return ctx.page([ctx.shapes.hook(h, repo.full_name) for h in repo.hooks.values()])


def get_hook(ctx: Ctx, owner: str, name: str, hook_id: int) -> Response:
    """GET /repos/{owner}/{repo}/hooks/{id} (routers/api/v1/repo/hook.go::GetHook @v1.25.4)."""
    repo, hook = _repo_hook(ctx, owner, name, hook_id)
    return ctx.json(ctx.shapes.hook(hook, repo.full_name))


def create_hook(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/hooks (routers/api/v1/repo/hook.go::CreateHook → routers/api/v1/utils/hook.go::AddRepoHook @v1.25.4): 201."""
    repo = ctx.repo(owner, name, "admin")
    hook = new_hook(ctx)
    repo.hooks[hook.id] = hook
    return ctx.json(ctx.shapes.hook(hook, repo.full_name), 201)


def edit_hook(ctx: Ctx, owner: str, name: str, hook_id: int) -> Response:
    """PATCH /repos/{owner}/{repo}/hooks/{id} (routers/api/v1/repo/hook.go::EditHook → routers/api/v1/utils/hook.go::EditRepoHook, `editHook` @v1.25.4): 200."""
    repo, hook = _repo_hook(ctx, owner, name, hook_id)
    return ctx.json(ctx.shapes.hook(edit(ctx, hook), repo.full_name))


def delete_hook(ctx: Ctx, owner: str, name: str, hook_id: int) -> Response:
    """DELETE /repos/{owner}/{repo}/hooks/{id} (routers/api/v1/repo/hook.go::DeleteHook @v1.25.4): 204."""
    repo, hook = _repo_hook(ctx, owner, name, hook_id)
    del repo.hooks[hook.id]
    return ctx.empty(204)


def test_hook(ctx: Ctx, owner: str, name: str, hook_id: int) -> Response:
    """POST /repos/{owner}/{repo}/hooks/{id}/tests (routers/api/v1/repo/hook.go::TestHook @v1.25.4).

    A push payload of the default branch's head commit (before = after), prepared like any event:
    only a hook subscribed to push receives it (`PrepareWebhook` checks `HasEvent`), active or not.
    An empty repository sends nothing. Always 204.
    """
    repo, hook = _repo_hook(ctx, owner, name, hook_id)
    head = repo.resolve(None)
    if head is not None and "push" in hook.events:
        event = push_event(ctx.shapes, repo, repo.default_branch, head.sha, [head], ctx.signed_in())
        ctx.tests.append((hook, event))
    return ctx.empty(204)


def _org(ctx: Ctx, org: str) -> User:
    """The organisation, if the caller owns it (`orgAssignment`, `reqOrgOwnership`)."""
    found = ctx.state.users.get(org)
    if found is None or not found.is_org:
        raise ApiError(404, "The target couldn't be found.")
    me = ctx.signed_in()
    if not me.admin and org not in ctx.state.org_owners.get(me.login, set()):
        raise ApiError(403, "Must be an organization owner")
    return found


def _org_hook(ctx: Ctx, org: str, hook_id: int) -> Hook:
    _org(ctx, org)
    hook = ctx.state.org_hooks.get(org, {}).get(hook_id)
    if hook is None:
        raise ApiError(404, "The target couldn't be found.")
    return hook


def list_org_hooks(ctx: Ctx, org: str) -> Response:
    """GET /orgs/{org}/hooks (routers/api/v1/org/hook.go::ListHooks → routers/api/v1/utils/hook.go::ListOwnerHooks @v1.25.4)."""
    _org(ctx, org)
    return ctx.page([ctx.shapes.hook(h, org) for h in ctx.state.org_hooks.get(org, {}).values()])


def create_org_hook(ctx: Ctx, org: str) -> Response:
    """POST /orgs/{org}/hooks (routers/api/v1/org/hook.go::CreateHook → routers/api/v1/utils/hook.go::AddOwnerHook @v1.25.4): 201."""
    _org(ctx, org)
    hook = new_hook(ctx)
    hook.target = "organization"  # services/webhook/deliver.go::addDefaultHeaders: an organisation owns it
    ctx.state.org_hooks.setdefault(org, {})[hook.id] = hook
    return ctx.json(ctx.shapes.hook(hook, org), 201)


def get_org_hook(ctx: Ctx, org: str, hook_id: int) -> Response:
    """GET /orgs/{org}/hooks/{id} (routers/api/v1/org/hook.go::GetHook @v1.25.4)."""
    return ctx.json(ctx.shapes.hook(_org_hook(ctx, org, hook_id), org))


def edit_org_hook(ctx: Ctx, org: str, hook_id: int) -> Response:
    """PATCH /orgs/{org}/hooks/{id} (routers/api/v1/org/hook.go::EditHook → routers/api/v1/utils/hook.go::EditOwnerHook, `editHook` @v1.25.4)."""
    return ctx.json(ctx.shapes.hook(edit(ctx, _org_hook(ctx, org, hook_id)), org))


def delete_org_hook(ctx: Ctx, org: str, hook_id: int) -> Response:
    """DELETE /orgs/{org}/hooks/{id} (routers/api/v1/org/hook.go::DeleteHook → routers/api/v1/utils/hook.go::DeleteOwnerHook @v1.25.4): 204."""
    hook = _org_hook(ctx, org, hook_id)
    del ctx.state.org_hooks[org][hook.id]
    return ctx.empty(204)


ROUTES = [
    Route("GET", R + "/hooks", list_hooks),
    Route("POST", R + "/hooks", create_hook),
    Route("GET", R + "/hooks/<int:hook_id>", get_hook),
    Route("PATCH", R + "/hooks/<int:hook_id>", edit_hook),
    Route("DELETE", R + "/hooks/<int:hook_id>", delete_hook),
    Route("POST", R + "/hooks/<int:hook_id>/tests", test_hook),
    Route("GET", O + "/hooks", list_org_hooks),
    Route("POST", O + "/hooks", create_org_hook),
    Route("GET", O + "/hooks/<int:hook_id>", get_org_hook),
    Route("PATCH", O + "/hooks/<int:hook_id>", edit_org_hook),
    Route("DELETE", O + "/hooks/<int:hook_id>", delete_org_hook),
]
