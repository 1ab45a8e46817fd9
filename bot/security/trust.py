"""Whose code the bot may touch, and which artefacts are its own.  PURE.

The bot never checks out, branches from or pushes a commit unless its author, its pusher and the
pull request's head repository are trusted by the repository's rule (`.gitea/teabot.yaml`
`trust:`; default: write access, forks never automatically). Markers and plan blocks count only
on issues and comments the bot user authored.
"""

from __future__ import annotations

from collections.abc import Iterable

ROLE_RANK = {"none": 0, "anyone": 0, "read": 1, "write": 2, "admin": 3, "owner": 4}


def untrusted_reason(*, roles: dict[str, str], min_role: str, users: Iterable[str] = (), head_repo: str = "",
                     base_repo: str = "", forks: bool = False) -> str:
    """Why the code may not be touched ("" when it may): `roles` maps each author/pusher login to its role."""
    if head_repo and base_repo and head_repo.lower() != base_repo.lower() and not forks:
        return f"the change comes from the fork {head_repo}; a maintainer can run /debug on it"
    extra = {u.lower() for u in users}
    for login, role in roles.items():
        if login.lower() not in extra and ROLE_RANK.get(role, 0) < ROLE_RANK[min_role]:
            return f"{login} has {role or 'no'} access; teabot acts on code by users with {min_role} access only"
    return ""


def is_own(author_login: str, bot_login: str) -> bool:
    """True when an issue or comment was written by the bot account (the only place markers count)."""
    return bool(bot_login) and author_login.lower() == bot_login.lower()


def is_own_run(run: dict, *, bot_login: str, pushed_shas: Iterable[str], branch_prefix: str = "teabot/") -> bool:
    """True for a CI run of the bot's own push: its commit SHA was pushed by the bot and the actor is the bot."""
    actor = str((run.get("actor") or run.get("trigger_actor") or {}).get("login") or "")
    return str(run.get("head_sha") or "") in set(pushed_shas) and is_own(actor, bot_login) \
        and str(run.get("head_branch") or "").startswith(branch_prefix)
