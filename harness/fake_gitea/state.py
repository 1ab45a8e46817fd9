"""In-memory state of the fake Gitea test harness: users, repositories and everything in them.

Records are plain mutable dataclasses guarded by `State.lock`; ids come from global counters like
Gitea's database sequences, and issues and pull requests share one number sequence per repository.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from harness.fake_gitea.git import Commit, Signature, make_commit

LEVELS = ("none", "read", "write", "admin", "owner")


def now() -> datetime:
    """The current time in UTC, to the second (as Gitea stores it)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class User:
    id: int
    login: str
    full_name: str = ""
    token: str | None = None
    admin: bool = False
    is_org: bool = False
    created: datetime = field(default_factory=now)

    @property
    def email(self) -> str:
        return f"{self.login}@noreply.gitea.test"

    @property
    def signature(self) -> Signature:
        return Signature(self.full_name or self.login, self.email)


@dataclass
class Label:
    id: int
    name: str
    color: str
    description: str = ""
    exclusive: bool = False


@dataclass
class Attachment:
    id: int
    name: str
    data: bytes
    uploader: User
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: datetime = field(default_factory=now)


@dataclass
class Reaction:
    user: User
    content: str
    created: datetime = field(default_factory=now)


@dataclass
class Pull:
    id: int
    head: str
    base: str
    merge_base: str
    merged: bool = False
    draft: bool = False


@dataclass
class Issue:
    id: int
    number: int
    user: User
    title: str
    body: str = ""
    state: str = "open"
    labels: list[Label] = field(default_factory=list)
    assignees: list[User] = field(default_factory=list)
    pull: Pull | None = None
    reactions: list[Reaction] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    depends_on: list[tuple[str, int]] = field(default_factory=list)  # (repo full name, number)
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    closed: datetime | None = None


@dataclass
class Comment:
    id: int
    issue: Issue
    user: User
    body: str
    reactions: list[Reaction] = field(default_factory=list)
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)


@dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str
    target_url: str
    creator: User
    created: datetime = field(default_factory=now)


@dataclass
class Step:
    name: str
    status: str = "queued"
    conclusion: str = ""
    started: datetime | None = None
    completed: datetime | None = None


@dataclass
class Job:
    id: int
    run_id: int
    name: str
    status: str = "queued"
    conclusion: str = ""
    log: bytes = b""
    labels: list[str] = field(default_factory=lambda: ["ubuntu-latest"])
    attempt: int = 1
    steps: list[Step] = field(default_factory=list)  # empty: the job shows as one step named like the job
    created: datetime = field(default_factory=now)
    started: datetime | None = None
    completed: datetime | None = None


@dataclass
class Run:
    id: int
    number: int
    workflow: str
    title: str
    event: str
    head_sha: str
    head_branch: str
    actor: User
    status: str = "queued"
    conclusion: str = ""
    attempt: int = 1
    jobs: list[Job] = field(default_factory=list)
    created: datetime = field(default_factory=now)
    started: datetime | None = None
    completed: datetime | None = None


@dataclass
class Hook:
    id: int
    url: str
    secret: str
    events: list[str]
    content_type: str = "json"
    active: bool = True
    branch_filter: str = "*"
    authorization_header: str = ""
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)


@dataclass
class Repo:
    id: int
    owner: User
    name: str
    private: bool = False
    default_branch: str = "main"
    description: str = ""
    permissions: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    labels: dict[int, Label] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)
    runs: dict[int, Run] = field(default_factory=dict)
    hooks: dict[int, Hook] = field(default_factory=dict)
    dispatches: list[dict] = field(default_factory=list)
    created: datetime = field(default_factory=now)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def resolve(self, ref: str | None) -> Commit | None:
        """The commit a branch name, full or short sha, or None (default branch) points at."""
        ref = ref or self.default_branch
        ref = ref.removeprefix("refs/heads/")
        if ref in self.branches:
            return self.commits[self.branches[ref]]
        matches = [c for sha, c in self.commits.items() if len(ref) >= 7 and sha.startswith(ref.lower())]
        return matches[0] if len(matches) == 1 else None

    def job(self, job_id: int) -> Job | None:
        """A job of any run of this repository."""
        return next((j for r in self.runs.values() for j in r.jobs if j.id == job_id), None)


class State:
    """All of the fake's data, and the counters that give out ids."""

    def __init__(self, version: str, base_url: str) -> None:
        self.version = version
        self.base_url = base_url.rstrip("/")
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}
        self._ids: defaultdict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))

    def next_id(self, kind: str) -> int:
        """The next id of a kind of record ("issue", "comment", "label", ...)."""
        return next(self._ids[kind])

    def add_user(self, login: str, token: str | None = None, *, admin: bool = False,
                 full_name: str = "", is_org: bool = False) -> User:
        """Create (or return) a user; people get a token, organisations none."""
        if login in self.users:
            return self.users[login]
        token = None if is_org else (token or secrets.token_hex(20))
        user = User(self.next_id("user"), login, full_name or login.title(), token, admin, is_org)
        self.users[login] = user
        return user

    def user_by_token(self, token: str) -> User | None:
        """The user a token belongs to."""
        return next((u for u in self.users.values() if u.token and secrets.compare_digest(u.token, token)), None)

    def add_repo(self, full_name: str, *, default_branch: str = "main", files: dict[str, bytes] | None = None,
                 private: bool = False, description: str = "") -> Repo:
        """Create a repository with one initial commit on its default branch."""
        owner_login, _, name = full_name.partition("/")
        owner = self.users.get(owner_login) or self.add_user(owner_login, is_org=True)
        repo = Repo(self.next_id("repo"), owner, name, private, default_branch, description)
        first = make_commit(files or {"README.md": f"# {name}\n".encode()}, (), "Initial commit",
                            owner.signature, now())
        repo.commits[first.sha] = first
        repo.branches[default_branch] = first.sha
        self.repos[full_name] = repo
        return repo

    def level(self, repo: Repo, user: User | None) -> str:
        """What `user` may do in `repo`: one of LEVELS (site admins and owners are "owner")."""
        if user is not None and (user.admin or user.id == repo.owner.id):
            return "owner"
        explicit = repo.permissions.get(user.login, "none") if user else "none"
        floor = "none" if repo.private else "read"
        return max(explicit, floor, key=LEVELS.index)

    def can(self, repo: Repo, user: User | None, need: str) -> bool:
        """True when `user` has at least level `need` in `repo`."""
        return LEVELS.index(self.level(repo, user)) >= LEVELS.index(need)

    def next_number(self, repo: Repo) -> int:
        """The next number in the issue/pull sequence of `repo`."""
        return max(repo.issues, default=0) + 1
