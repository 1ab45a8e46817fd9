"""The test cast: who exists on the fake Gitea and with what role — the one place tests and demos set people up.

`seed(fake)` gives the standard cast on `acme/widget`: the bot as a repository Admin collaborator
(what the README tells operators to give it; not the owner), the owner organisation `acme`, `alice`
who may write and `bob` who may only read. Tests that need someone else add them with `person`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.fake_gitea.server import FakeGitea

REPO = "acme/widget"
BOT, BOT_TOKEN = "teabot", "bot-token-0123456789"


@dataclass(frozen=True)
class Person:
    """Someone on the fake Gitea: a login, an optional token, a role on the repository (None: no access)."""

    login: str
    role: str | None = None
    token: str | None = None
    full_name: str = ""
    site_admin: bool = False


STANDARD = (
    Person(BOT, "admin", BOT_TOKEN, "teabot"),
    Person("acme", None, None, "ACME Corp"),
    Person("alice", "write", "alice-token", "Alice Liddell"),
    Person("bob", "read", "bob-token", "Bob"),
)


def person(fake: FakeGitea, who: Person, repo: str = REPO) -> Person:
    """Add `who` to the fake (if new) and give them their role on `repo`."""
    if who.login not in fake.state.users:
        fake.add_user(who.login, who.token, admin=who.site_admin, full_name=who.full_name)
    if who.role is not None:
        fake.set_permission(repo, who.login, who.role)
    return who


def seed(fake: FakeGitea, repo: str = REPO, *, cast: tuple[Person, ...] = STANDARD,
         files: dict[str, bytes | str] | None = None) -> FakeGitea:
    """`repo` (owned by its first path part) with `files`, and everyone in `cast` with their role on it."""
    owner = repo.split("/")[0]
    for who in cast:
        if who.login == owner:
            person(fake, who, repo)
    if owner not in fake.state.users:
        fake.add_user(owner)
    if repo not in fake.state.repos:
        fake.add_repo(repo, default_branch="main", files=files or {"README.md": f"# {repo.split('/')[-1]}\n"})
    for who in cast:
        person(fake, who, repo)
    return fake
