"""`teabot check` on what every agent needs from the token on one repository: permissions and scopes.

Gitea answers a token that lacks a scope with 403 "token does not have at least one of required
scope(s)" before it looks at the route's arguments (routers/api/v1/api.go `tokenRequiresScopes`), so
a request about an object that does not exist tells, without writing anything, whether the scope
is there: 404 means it is.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.cli.findings import Finding, error, ok
from bot.forge.client import GiteaClient, repo_path
from bot.forge.errors import Forbidden, ForgeError, NotFound

SCOPE_FIX = ("generate a new token for the bot user (Settings → Applications) with write:issue, write:repository "
             "and read:user, and set TEABOT_GITEA_TOKEN")
ADMIN_ROLES = ("admin", "owner")


def permission_reading_finding(forge: GiteaClient, repo: str, login: str, level: str, other: str) -> Finding:
    """Can the bot read a commenter's permission? Every command checks who asked; Gitea shows it to admins only."""
    # routers/api/v1/repo/collaborators.go `GetRepoPermissions`: site admins, repository admins, or the user
    # themself; so a bot with write access cannot tell whether @someone may run /plan approve.
    if level in ADMIN_ROLES:
        return ok(f"{repo}: {login} ({level}) can read commenters' permission (who may run each command)")
    try:
        forge.collaborator_permission(repo, other)  # 404 for an unknown user comes after the permission check
    except Forbidden:
        return error(f"{repo}: {login} ({level}) cannot read other users' permission, which every command "
                     "(/plan, /plan approve, /debug) checks before acting: Gitea shows it to repository Admins "
                     "only, so commands fail with \"cannot read @user's permission\"",
                     f"give {login} Admin access ({repo} → Settings → Collaborators), or make it a site admin")
    except ForgeError as exc:
        return error(f"{repo}: reading @{other}'s permission failed: {exc}")
    return ok(f"{repo}: {login} can read commenters' permission (who may run each command)")


def scope_findings(forge: GiteaClient, repo: str) -> list[Finding]:
    """The token scopes the agents use on `repo`: read/write issues, read/write repository."""
    base = repo_path(repo)
    probes: list[tuple[str, Callable[[], object]]] = [
        ("read:repository", lambda: forge.transport.request("GET", base)),
        ("read:issue", lambda: forge.transport.request("GET", f"{base}/issues", params={"limit": 1})),
        # comment 0 never exists: with the scope Gitea answers 404, without it 403, and nothing is written
        ("write:issue", lambda: forge.add_comment_reaction(repo, 0, "eyes")),
        # hook 0 never exists either (ids start at 1): routers/api/v1/repo/hook.go `DeleteHook` answers 404 after
        # the scope check (api.go `tokenRequiresScopes`: DELETE needs write) and reqAdmin; fix branches, pull
        # requests and commit statuses need write:repository
        ("write:repository", lambda: forge.transport.request("DELETE", f"{base}/hooks/0")),
    ]
    missing = []
    for scope, probe in probes:
        try:
            probe()
        except NotFound:
            pass
        except Forbidden as exc:
            if "scope" in exc.message:
                missing.append(scope)
        except ForgeError:
            pass  # other failures are reported by the checks that need the route
    if missing:
        return [error(f"{repo}: the token lacks the scope(s) {', '.join(missing)}", SCOPE_FIX)]
    return [ok(f"{repo}: the token has the scopes teabot uses (read:repository, write:repository, read:issue, "
               "write:issue)")]
