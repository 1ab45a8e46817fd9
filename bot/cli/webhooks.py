"""teabot's webhook: which events it needs, what is wrong with a hook, and what `teabot setup-hook` changes.

The decisions are plain functions over Gitea's hook JSON; `setup_hook` asks Gitea and applies a plan.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.cli.findings import Finding, Level, warn
from bot.forge.capabilities import Capabilities
from bot.forge.client import GiteaClient
from bot.forge.errors import Forbidden, NotFound

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
