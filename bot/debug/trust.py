"""Whether a failing commit may be touched: its author's and pusher's roles, and where the pull request comes from.

The rule itself is `bot.security.trust.untrusted_reason`; this module reads what it needs from
Gitea. A session started by a maintainer's `/debug` (write access, checked by the job) is trusted:
the maintainer vouched for the code. Anything unknown counts as untrusted.
"""

from __future__ import annotations

import logging

from bot.debug.core.session import Session
from bot.debug.deps import Deps
from bot.forge.errors import ForgeError
from bot.forge.models import Pull
from bot.security.trust import untrusted_reason

log = logging.getLogger(__name__)
VOUCHED = "/debug"  # the trigger of a session a maintainer asked for


def untrusted(deps: Deps, session: Session) -> str:
    """Why the bot may not branch from, push or re-run the session's commit ("" when it may)."""
    if session.trigger == VOUCHED:
        return ""
    found = deps.forge.find_pull(session.repo, head=session.branch) if session.branch else None
    pull = Pull.from_api(found) if found is not None else None
    logins = {login for login in (session.author, pull.author if pull else "") if login}
    if not logins:
        return "nobody is known to have written or pushed this commit; a maintainer can run /debug on it"
    rule = deps.trust
    return untrusted_reason(roles={login: _role(deps, session.repo, login) for login in logins}, min_role=rule.role,
                            users=rule.users, head_repo=pull.head_repo if pull else "", base_repo=session.repo,
                            forks=rule.forks)


def _role(deps: Deps, repo: str, login: str) -> str:
    """The user's permission on `repo`; "none" when Gitea does not say (fail closed)."""
    try:
        return deps.forge.collaborator_permission(repo, login)
    except ForgeError as exc:
        log.info("cannot read %s's permission on %s: %s", login, repo, exc, extra={"repo": repo})
        return "none"
