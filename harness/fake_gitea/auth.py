"""How the fake Gitea knows who is calling: tokens with scopes, and basic auth, as Gitea does.

Gitea sources (tag v1.25.4):
- services/auth/oauth2.go `parseToken`: `Authorization: token X` or `Bearer X`; query-string tokens
  are refused since 1.23 (`DISABLE_QUERY_AUTH_TOKEN`).
- services/auth/basic.go `Verify`: basic auth whose password (or user name) is a token is token auth
  (with that token's scopes); otherwise user name and password sign the user in with every right.
- models/auth/access_token_scope.go: scopes are `read:<category>` / `write:<category>` (write implies
  read) or `all`; `Normalize` rejects unknown names.
- routers/api/v1/api.go `tokenRequiresScopes`: GET/HEAD need read, other methods write, of the
  route group's category; a token without it gets 403 "token does not have at least one of
  required scope(s)".
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field

CATEGORIES = ("activitypub", "admin", "issue", "misc", "notification", "organization", "package",
              "repository", "user")
ALL = "all"


@dataclass(frozen=True)
class Token:
    """One access token of a user."""

    id: int
    name: str
    sha: str = field(default_factory=lambda: secrets.token_hex(20))
    scopes: tuple[str, ...] = (ALL,)

    @property
    def last_eight(self) -> str:
        """The last eight characters Gitea shows in listings."""
        return self.sha[-8:]


def normalize_scopes(names: list[str]) -> tuple[str, ...]:
    """Scopes as Gitea stores them; ValueError for an unknown one (Gitea answers 400)."""
    found: set[str] = set()
    for name in (n.strip() for n in names if n and n.strip()):
        if name == ALL:
            return (ALL,)
        level, _, category = name.partition(":")
        if level not in ("read", "write") or category not in CATEGORIES:
            raise ValueError(f"invalid access token scope provided: {name!r}")
        found.add(name)
    return tuple(sorted(found))


def has_scope(scopes: tuple[str, ...], category: str | None, write: bool) -> bool:
    """True when `scopes` allow the access (`category` None: the route needs no scope)."""
    if category is None or ALL in scopes:
        return True
    return f"write:{category}" in scopes or (not write and f"read:{category}" in scopes)


def route_category(rule: str) -> str | None:
    """The token scope category of an API route, from where api.go registers it."""
    parts = rule.strip("/").split("/")
    head = parts[0]
    if head == "repos":
        # the issue group (api.go "Issue (requires issue scope)") holds issues, labels, milestones
        return "issue" if len(parts) > 3 and parts[3] in ("issues", "labels", "milestones") else "repository"
    if head == "user" and len(parts) > 1 and parts[1] == "repos":
        return "repository"
    return {"user": "user", "users": "user", "admin": "admin", "orgs": "organization"}.get(head)


@dataclass(frozen=True)
class Credentials:
    """What a request carries: a token, or a user name and password (basic auth)."""

    token: str | None = None
    login: str | None = None
    password: str | None = None

    @property
    def basic(self) -> bool:
        """True for basic auth with a password (not a token)."""
        return self.login is not None


def credentials_of(header: str) -> Credentials:
    """Parse an Authorization header the way Gitea does."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() in ("token", "bearer") and value:
        return Credentials(token=value)
    if scheme.lower() == "basic" and value:
        try:
            login, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return Credentials()
        return Credentials(login=login, password=password)
    return Credentials()
