"""Operator checks (`teabot check`) and webhook set-up (`teabot setup-hook`), as findings that say what to fix.

The decisions (which events the webhook needs, what is wrong with a hook, what set-up would change) are
plain functions over Gitea's JSON; the `check_*` functions ask Gitea, Redis and the model endpoint.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.cli.checks_access import permission_reading_finding, scope_findings
from bot.cli.checks_services import check_model, check_redis, models_finding, redis_findings  # noqa: F401
from bot.cli.findings import Finding, Level, error, failed, ok, warn  # noqa: F401
from bot.config.settings import ConfigError, Settings, unknown_variables
from bot.forge.capabilities import MIN_VERSION, Capabilities
from bot.forge.client import GiteaClient, repo_path
from bot.forge.errors import Forbidden, ForgeError, NotFound, Unauthorized

Json = dict[str, Any]

# Gitea's hook event names (routers/api/v1/utils/hook.go). A hook lists each type it sends by its own
# name ("issues" alone means issue open/close/edit only), so teabot asks for the comment types explicitly.
BASE_EVENTS = ("issues", "issue_comment", "pull_request", "pull_request_comment", "status")
WORKFLOW_EVENTS = ("workflow_run", "workflow_job")  # only sent by Gitea >= 1.25 / 1.24
# Every name a hook's `events` may list (modules/webhook/type.go HookEventType, plus the family names
# routers/api/v1/utils/hook.go accepts), Gitea v1.25.4; `setup-hook --events` refuses others.
GITEA_EVENTS = ("create", "delete", "fork", "push", "issues", "issues_only", "issue_assign", "issue_label",
                "issue_milestone", "issue_comment", "pull_request", "pull_request_only", "pull_request_assign",
                "pull_request_label", "pull_request_milestone", "pull_request_comment", "pull_request_review",
                "pull_request_review_approved", "pull_request_review_rejected", "pull_request_review_comment",
                "pull_request_sync", "pull_request_review_request", "wiki", "repository", "release", "package",
                "status", "workflow_run", "workflow_job")
HOOK_TYPES = ("gitea", "forgejo")  # the types that sign deliveries with X-Gitea-Signature
FEATURES = {"job_logs": "job logs", "runs_api": "runs API", "rerun": "re-run"}
WRITE_LEVELS = ("write", "admin", "owner")
TOKEN_FIX = ("generate a new token for the bot user (Settings → Applications) with the scopes write:issue, "
             "write:repository and read:user (read:organization to see organisation webhooks) "
             "and set TEABOT_GITEA_TOKEN")
SECRET_FIX = ("in Gitea press Test Delivery on the hook: teabot answers 2xx (204 for the test push) when the secret "
              "matches TEABOT_WEBHOOK_SECRET, 401 when it does not; `teabot setup-hook` re-creates the hook "
              "with the right secret (Gitea cannot change a hook's secret in place)")


# --- pure decisions ---------------------------------------------------------------------------------------


def required_events(caps: Capabilities | None) -> tuple[str, ...]:
    """The webhook events teabot needs; workflow events only where the server sends them (unknown: all)."""
    return BASE_EVENTS + tuple(e for e in WORKFLOW_EVENTS if caps is None or getattr(caps, e))


def same_url(a: str, b: str) -> bool:
    """True when two webhook URLs name the same endpoint (scheme and host case, trailing slash ignored)."""
    def norm(url: str) -> tuple[str, str, str, str]:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query
    return norm(a) == norm(b)


def hook_url(hook: Mapping[str, Any]) -> str:
    """The target URL of a Gitea hook object."""
    return str((hook.get("config") or {}).get("url") or "")


def teabot_hooks(hooks: Iterable[Json], url: str | None) -> list[Json]:
    """The hooks posting to `url`, or (no url given) to any teabot-looking `/webhook` endpoint."""
    if url:
        return [h for h in hooks if same_url(hook_url(h), url)]
    return [h for h in hooks if urlsplit(hook_url(h)).path.rstrip("/").endswith("/webhook")]


@dataclass(frozen=True)
class HookIssue:
    """One thing wrong with a webhook: how bad, what it is, and what `setup-hook` changes for it."""

    level: Level
    problem: str
    change: str


def hook_issues(hook: Mapping[str, Any], required: Sequence[str]) -> list[HookIssue]:
    """What is wrong with a teabot webhook (empty when nothing is)."""
    found = []
    missing = [e for e in required if e not in (hook.get("events") or [])]
    if missing:
        found.append(HookIssue(Level.ERROR, f"does not send {', '.join(missing)}", f"add {', '.join(missing)}"))
    if not hook.get("active"):
        found.append(HookIssue(Level.ERROR, "is inactive: Gitea sends nothing", "activate it"))
    if hook.get("type") not in HOOK_TYPES:
        found.append(HookIssue(Level.ERROR, f"is of type {hook.get('type')!r}, which does not sign with "
                               "X-Gitea-Signature", "a new Gitea-type hook (delete the old one in Gitea)"))
    content_type = (hook.get("config") or {}).get("content_type")
    if content_type != "json":
        found.append(HookIssue(Level.WARN, f"posts content type {content_type!r}, not json", "content type json"))
    return found


def delivery_note(url: str) -> Finding | None:
    """A warning when Gitea's default ALLOWED_HOST_LIST refuses to deliver to `url`'s host."""
    host = (urlsplit(url).hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        private = host == "localhost" or host.endswith(".localhost")
    else:
        private = address.is_loopback or address.is_private or address.is_link_local
    if not private:
        return None
    return warn(f"{url} is a loopback or private address, which Gitea refuses to deliver to by default",
                f"allow it in Gitea's app.ini: [webhook] ALLOWED_HOST_LIST = {host} (or: loopback, private)")


@dataclass(frozen=True)
class HookPlan:
    """What `teabot setup-hook` does: create a hook, or re-create hook `hook_id` (of `org` when set).

    Gitea's hook edit (routers/api/v1/utils/hook.go `editHook` @v1.25.4) never changes the secret, so a
    repair deletes the old hook and creates a new one keeping its events, branch filter and
    Authorization header.
    """

    repo: str
    url: str
    events: tuple[str, ...]
    hook_id: int | None = None
    changes: tuple[str, ...] = ()
    branch_filter: str = ""
    authorization_header: str = ""
    org: str | None = None

    @property
    def action(self) -> str:
        """"create" or "recreate"."""
        return "create" if self.hook_id is None else "recreate"

    def describe(self, *, dry_run: bool = False) -> str:
        """One line saying what was (or, in a dry run, would be) done."""
        where = f"organisation {self.org}" if self.org else self.repo
        if self.hook_id is None:
            verb, hook = ("would create" if dry_run else "created"), "a webhook"
        else:
            verb, hook = ("would re-create" if dry_run else "re-created"), f"webhook #{self.hook_id}"
        detail = "; ".join(self.changes)
        return (f"{verb} {hook} on {where} → {self.url} (json, events: {', '.join(self.events)})"
                + (f": {detail}" if detail else ""))


def plan_hook(repo: str, hooks: Iterable[Json], url: str, events: Sequence[str],
              org_hooks: Iterable[Json] = (), org: str | None = None,
              secret_source: str = "TEABOT_WEBHOOK_SECRET") -> HookPlan:
    """Create a hook for `url`, or re-create the first repository (else organisation) hook posting there."""
    match = next((h for h in teabot_hooks(hooks, url) if h.get("type") in HOOK_TYPES), None)
    where = None
    if match is None and org:
        match = next((h for h in teabot_hooks(org_hooks, url) if h.get("type") in HOOK_TYPES), None)
        where = org if match is not None else None
    if match is None:
        return HookPlan(repo, url, tuple(events), changes=(f"secret from {secret_source}",))
    kept = tuple(dict.fromkeys([*events, *(e for e in match.get("events") or [] if e not in events)]))
    changes = [issue.change for issue in hook_issues(match, events)]
    changes.append(f"secret set from {secret_source} (Gitea's edit cannot change a secret)")
    return HookPlan(repo, url, kept, int(match["id"]), tuple(changes), str(match.get("branch_filter") or ""),
                    str(match.get("authorization_header") or ""), where)


def apply_hook_plan(forge: GiteaClient, plan: HookPlan, secret: str) -> Json:
    """Carry out a plan: create the new hook first, then delete the one it replaces."""
    options = {"branch_filter": plan.branch_filter, "authorization_header": plan.authorization_header}
    if plan.org:
        created = forge.create_org_hook(plan.org, plan.url, secret, plan.events, **options)
    else:
        created = forge.create_hook(plan.repo, plan.url, secret, plan.events, content_type="json", **options)
    if plan.hook_id is not None:
        if plan.org:
            forge.delete_org_hook(plan.org, plan.hook_id)
        else:
            forge.delete_hook(plan.repo, plan.hook_id)
    return created


def org_hooks_of(forge: GiteaClient, repo: str) -> tuple[str | None, list[Json] | None]:
    """(organisation, its hooks) for an organisation's repository; hooks None when not visible to the bot."""
    org = repo.partition("/")[0]
    try:
        return org, forge.list_org_hooks(org)
    except NotFound:  # a user, not an organisation
        return None, []
    except Forbidden:  # routers/api/v1/api.go: organisation hooks need reqOrgOwnership
        return org, None


def setup_hook(forge: GiteaClient, repo: str, url: str, secret: str, events: Sequence[str] = (),
               *, dry_run: bool = False, secret_source: str = "TEABOT_WEBHOOK_SECRET") -> HookPlan:
    """Create or repair teabot's webhook on `repo` (or on its organisation, where one already posts to `url`)."""
    org, org_hooks = org_hooks_of(forge, repo)
    wanted = tuple(events) or required_events(forge.capabilities())
    plan = plan_hook(repo, forge.list_hooks(repo), url, wanted, org_hooks or (), org, secret_source)
    if not dry_run:
        apply_hook_plan(forge, plan, secret)
    return plan


# --- checks that talk to Gitea, Redis and the model endpoint -------------------------------------------------


def check_settings(environ: Mapping[str, str]) -> tuple[list[Finding], Settings | None]:
    """Read the settings; findings about missing ones, and the settings (None when invalid)."""
    try:
        settings = Settings.from_env(environ)
    except ConfigError as exc:
        return [error(str(exc), "fix the variables named here, then run `teabot check` again")], None
    found = [ok(f"settings valid (Gitea {settings.gitea_url}, data in {settings.data_dir})")]
    found += [warn(line, "fix the name: teabot ignores variables it does not know") for line in unknown_variables(environ)]
    if not settings.gitea_token:
        found.append(error("TEABOT_GITEA_TOKEN is not set", "log in as the bot user, Settings → Applications → "
                           "generate a token with write:issue, write:repository and read:user, and set it"))
    if not settings.webhook_secret:
        stored = settings.data_dir / "webhook-secret"
        state = "exists" if stored.exists() else "is generated by the first `teabot serve`"
        found.append(warn(f"TEABOT_WEBHOOK_SECRET is not set: the secret in {stored} {state}",
                          "set TEABOT_WEBHOOK_SECRET, the same for every web process, and on the Gitea webhook"))
    return found, settings


def check_gitea(forge: GiteaClient, settings: Settings) -> tuple[list[Finding], Capabilities | None, str | None]:
    """Is Gitea reachable, what can it do, and whose is the token? Returns findings, capabilities, login."""
    try:
        caps = forge.capabilities()
    except Unauthorized:  # Gitea refuses an unknown token on every route, public ones included
        return [error(f"Gitea at {settings.gitea_url} rejects TEABOT_GITEA_TOKEN (401)", TOKEN_FIX)], None, None
    except ForgeError as exc:
        return [error(f"Gitea at {settings.gitea_url} did not answer GET /version: {exc}",
                      "check TEABOT_GITEA_URL (the address Gitea's web UI is served at)")], None, None
    found = [capabilities_finding(caps, settings.gitea_url)]
    if not settings.gitea_token:
        return found, caps, None
    try:
        login = str(forge.current_user()["login"])
    except Unauthorized:
        return found + [error("Gitea rejects TEABOT_GITEA_TOKEN (401 on GET /user)", TOKEN_FIX)], caps, None
    except ForgeError as exc:
        return found + [error(f"GET /user failed: {exc}", "check TEABOT_GITEA_TOKEN")], caps, None
    found.append(ok(f"token valid: teabot acts as {login}"))
    if settings.bot_login and settings.bot_login != login:
        found.append(error(f"TEABOT_BOT_LOGIN={settings.bot_login} but the token belongs to {login}",
                           f"set TEABOT_BOT_LOGIN={login} (or unset it): otherwise the bot answers its own events"))
    return found, caps, login


def capabilities_finding(caps: Capabilities, url: str) -> Finding:
    """The server's version and which optional features it has."""
    parts = [f"{name} {'yes' if getattr(caps, flag) else 'no'} (≥{MIN_VERSION[flag]})"
             for flag, name in FEATURES.items()]
    what = f"Gitea {caps.version} at {url}: {', '.join(parts)}"
    if all(getattr(caps, flag) for flag in FEATURES):
        return ok(what)
    lacking = [MIN_VERSION[flag] for flag in FEATURES if not getattr(caps, flag)]
    needed = max(lacking, key=lambda v: tuple(int(n) for n in v.split(".")))
    return warn(what, f"upgrade Gitea to {needed} or newer to have every feature teabot uses")


def check_repo(forge: GiteaClient, repo: str, login: str, caps: Capabilities | None,
               webhook_url: str | None = None) -> list[Finding]:
    """The bot's permission and what each agent needs on `repo`, and teabot's webhook there."""
    try:
        info = forge.get_repo(repo)
        level = forge.collaborator_permission(repo, login)
    except NotFound:
        return [error(f"{repo}: not found, or not visible to {login}",
                      f"check the name, and add {login} as a collaborator with Admin access")]
    except Forbidden as exc:
        return scope_findings(forge, repo) if "scope" in exc.message else [error(f"{repo}: {exc}")]
    except ForgeError as exc:
        return [error(f"{repo}: {exc}")]
    owner = str((info.get("owner") or {}).get("login") or repo.partition("/")[0])
    found = [permission_finding(repo, login, level), *scope_findings(forge, repo)]
    if level in WRITE_LEVELS:
        found.append(permission_reading_finding(forge, repo, login, level, owner if owner != login else "ghost"))
    found += repo_findings(repo, info)
    found += actions_findings(forge, repo, login, level, caps)
    try:
        hooks = forge.list_hooks(repo)
    except Forbidden:
        return found + [warn(f"{repo}: cannot list webhooks with {login}'s token ({level} access; Gitea shows "
                             "hooks to repository admins only)", "check it in Gitea (Settings → Webhooks), or run "
                             f"`TEABOT_GITEA_TOKEN=<an admin's token> teabot check --repo {repo}`")]
    except ForgeError as exc:
        return found + [error(f"{repo}: listing webhooks failed: {exc}")]
    org, org_hooks = org_hooks_of(forge, repo)
    if org and org_hooks is None:
        found.append(warn(f"{repo}: cannot see the webhooks of organisation {org} ({login} is not an owner of it)",
                          f"if teabot's hook is set on {org}, check it in Gitea ({org} → Settings → Webhooks)"))
    labelled = [*hooks, *({**h, "org": org} for h in org_hooks or [])]
    return found + webhook_findings(repo, labelled, required_events(caps), webhook_url)


def repo_findings(repo: str, info: Json) -> list[Finding]:
    """What the repository's state and settings mean for teabot."""
    found = []
    if info.get("empty"):
        found.append(warn(f"{repo}: the repository is empty (no commits yet)",
                          "/help and /plan work; debugging starts once CI runs on a first commit"))
    tracker = info.get("internal_tracker") or {}
    if info.get("has_issues") is False or tracker.get("enable_issue_dependencies") is False:
        found.append(warn(f"{repo}: issue dependencies are switched off, so an approved plan cannot link its issues",
                          f"enable them ({repo} → Settings → Repository → Issues → Enable dependencies)"))
    return found


def actions_findings(forge: GiteaClient, repo: str, login: str, level: str, caps: Capabilities | None) -> list[Finding]:
    """Can the debug agent find runs? Gitea 1.25 lists runs to the owner and site admins only (reqOwner)."""
    if caps is None or not caps.runs_api:
        return []
    try:
        forge.transport.request("GET", f"{repo_path(repo)}/actions/runs", params={"limit": 1})
    except Forbidden as exc:
        if "scope" in exc.message:
            return [error(f"{repo}: the token lacks the read:repository scope", TOKEN_FIX)]
        return [warn(f"{repo}: {login} ({level}) may not list workflow runs: Gitea {caps.version} allows it only to "
                     "the repository owner or a site admin. Debugging from webhooks works (a run by id, its jobs "
                     "and logs stay readable), but /debug on a pull request, the sweep, the baseline log and the "
                     "fallback when a webhook is lost find no runs",
                     f"make {login} a site admin, or move {repo} to an organisation {login} owns, or upgrade "
                     "Gitea to 1.26")]
    except NotFound:
        return [warn(f"{repo}: Actions are disabled for the repository",
                     f"enable them ({repo} → Settings → Repository → Actions) for teabot to debug CI")]
    except ForgeError as exc:
        return [warn(f"{repo}: listing workflow runs failed: {exc}")]
    return [ok(f"{repo}: {login} can list workflow runs")]


def permission_finding(repo: str, login: str, level: str) -> Finding:
    """Write access is what teabot needs: comments, labels, issues, `teabot/` branches, re-runs."""
    if level in WRITE_LEVELS:
        return ok(f"{repo}: {login} has {level} access (comments, labels, issues, teabot/ branches)")
    return error(f"{repo}: {login} has {level} access; teabot needs write access to comment, label, "
                 "open issues and push teabot/ branches",
                 f"add {login} as a collaborator with Admin access ({repo} → Settings → Collaborators): "
                 "commands also read who asked, which Gitea shows to Admins only")


def webhook_findings(repo: str, hooks: list[Json], required: Sequence[str], url: str | None) -> list[Finding]:
    """Findings about teabot's webhook(s) on `repo`."""
    target = url or "https://<teabot-host>/webhook"
    matches = teabot_hooks(hooks, url)
    if not matches:
        where = f"posts to {url}" if url else "posts to a teabot /webhook URL"
        return [error(f"{repo}: no webhook {where}", f"run `teabot setup-hook {repo} --url {target}`")]
    found = []
    for hook in matches:
        owner = f"organisation {hook['org']}'s" if hook.get("org") else f"{repo}:"
        where = f"{owner} webhook #{hook.get('id')} → {hook_url(hook)}"
        issues = hook_issues(hook, required)
        fix = f"run `teabot setup-hook {repo} --url {hook_url(hook)}`"
        found += [Finding(i.level, f"{where} {i.problem}", fix) for i in issues]
        if not issues:
            found.append(ok(f"{where} sends {', '.join(required)} as JSON"))
        found.append(warn(f"{where}: its secret cannot be verified from here (Gitea never returns it)", SECRET_FIX))
    if len(matches) > 1:
        found.append(warn(f"{repo}: {len(matches)} webhooks post to teabot, so each event arrives twice",
                          "delete the extra ones in Gitea (Settings → Webhooks)"))
    return found


def run_checks(environ: Mapping[str, str], repos: Sequence[str] = (), webhook_url: str | None = None, *,
               transport: httpx.BaseTransport | None = None,
               model_transport: httpx.BaseTransport | None = None) -> list[Finding]:
    """Every check `teabot check` makes, in order; transports let tests talk to in-process fakes."""
    from bot.forge import make_forge

    found, settings = check_settings(environ)
    if settings is None:
        return found
    quick = settings.replace(gitea_retries=0, gitea_timeout=min(settings.gitea_timeout, 10.0))
    forge = make_forge(quick, transport=transport)
    gitea, caps, login = check_gitea(forge, settings)
    found += gitea
    for repo in repos:
        found += check_repo(forge, repo, login, caps, webhook_url) if login else [
            error(f"{repo}: not checked, the token is missing or invalid", "fix TEABOT_GITEA_TOKEN first")]
    if webhook_url and (note := delivery_note(webhook_url)):
        found.append(note)
    return found + redis_findings(settings.redis_url, settings.queue_name) + [check_model(settings.model, model_transport)]
