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

from harness.fake_gitea.auth import Token
from harness.fake_gitea.git import Commit, Signature, make_commit
from harness.fake_gitea.profiles import Profile, profile_for

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
    password: str | None = None
    tokens: list[Token] = field(default_factory=list)  # created through POST /users/{u}/tokens
    email_address: str = ""

    @property
    def email(self) -> str:
        return self.email_address or f"{self.login}@noreply.gitea.test"

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
    task_id: int = 0  # the ActionTask of the current attempt (a different id sequence than jobs)
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
    ref: str = ""  # the git ref the run is for; "" means refs/heads/<head_branch>

    @property
    def full_ref(self) -> str:
        """The run's ref: refs/heads/<b> for branch runs, refs/pull/<n>/head for pull_request runs."""
        return self.ref or f"refs/heads/{self.head_branch}"

    @property
    def branch(self) -> str:
        """`git.RefName(run.Ref).BranchName()` (modules/git/ref.go): "" unless the ref is a branch."""
        return self.full_ref.removeprefix("refs/heads/") if self.full_ref.startswith("refs/heads/") else ""


@dataclass
class Hook:
    id: int
    url: str
    secret: str
    events: list[str]
    content_type: str = "json"
    active: bool = True
    branch_filter: str = ""
    authorization_header: str = ""
    type: str = "gitea"
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    target: str = "repository"  # whose hook: "repository", "organization" or "system" (X-…-Target-Type)


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
    secrets: dict[str, str] = field(default_factory=dict)  # Actions secrets: upper-cased name -> data
    created: datetime = field(default_factory=now)
    has_issues: bool = True
    enable_dependencies: bool = True  # internal_tracker.enable_issue_dependencies

    @property
    def empty(self) -> bool:
        """True for a repository without commits (created without auto_init)."""
        return not self.branches

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

    def __init__(self, version: str, base_url: str, root_url: str | None = None) -> None:
        self.profile: Profile = profile_for(version)
        self.version = self.profile.version
        self.base_url = base_url.rstrip("/")
        # Gitea builds attachment and html URLs from ROOT_URL (models/repo/attachment.go
        # `DownloadURL`), which may differ from the address a client reaches it at.
        self.root_url = root_url.rstrip("/") if root_url else None
        self.org_hooks: dict[str, dict[int, Hook]] = {}
        self.org_owners: dict[str, set[str]] = {}  # login -> organisations whose Owners team they are in
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

    def user_by_email(self, email: str) -> User | None:
        """Whose email this is (models/user/user.go::GetUserByEmail @v1.25.4): an activated address,
        case-insensitive, or the no-reply placeholder `<login>@<NO_REPLY_ADDRESS>`."""
        wanted = email.lower()
        return next((u for u in self.users.values() if wanted and not u.is_org and wanted in
                     (u.email.lower(), f"{u.login.lower()}@noreply.gitea.test")), None)

    def user_by_token(self, token: str) -> User | None:
        """The user a token belongs to."""
        return self.token_owner(token)[0]

    def token_owner(self, token: str) -> tuple[User | None, tuple[str, ...]]:
        """The user a token belongs to and the token's scopes (a seeded token has every scope)."""
        for user in self.users.values():
            if user.token and secrets.compare_digest(user.token, token):
                return user, ("all",)
            for item in user.tokens:
                if secrets.compare_digest(item.sha, token):
                    return user, item.scopes
        return None, ()

    @property
    def web_url(self) -> str:
        """Where Gitea says it lives (ROOT_URL), which links in answers are built from."""
        return self.root_url or self.base_url

    def add_repo(self, full_name: str, *, default_branch: str = "main", files: dict[str, bytes] | None = None,
                 private: bool = False, description: str = "", empty: bool = False) -> Repo:
        """Create a repository with one initial commit on its default branch (none when `empty`)."""
        owner_login, _, name = full_name.partition("/")
        owner = self.users.get(owner_login) or self.add_user(owner_login, is_org=True)
        repo = Repo(self.next_id("repo"), owner, name, private, default_branch, description)
        self.repos[full_name] = repo
        if empty:
            return repo
        first = make_commit(files or {"README.md": f"# {name}\n".encode()}, (), "Initial commit",
                            owner.signature, now())
        repo.commits[first.sha] = first
        repo.branches[default_branch] = first.sha
        return repo

    def level(self, repo: Repo, user: User | None) -> str:
        """What `user` may do in `repo`: one of LEVELS.

        models/perm/access/repo_permission.go `GetUserRepoPermission` (v1.25.4): site admins, the owner
        and owners of the owning organisation have AccessModeOwner; a collaborator has their level.
        """
        if self.is_owner(repo, user) or (user is not None and user.admin):
            return "owner"
        explicit = repo.permissions.get(user.login, "none") if user else "none"
        floor = "none" if repo.private else "read"
        return max(explicit, floor, key=LEVELS.index)

    def is_owner(self, repo: Repo, user: User | None) -> bool:
        """`ctx.Repo.IsOwner()`: the owning user, or an owner of the owning organisation."""
        return user is not None and (user.id == repo.owner.id or repo.permissions.get(user.login) == "owner")

    def can(self, repo: Repo, user: User | None, need: str) -> bool:
        """True when `user` has at least level `need` in `repo`."""
        return LEVELS.index(self.level(repo, user)) >= LEVELS.index(need)

    def next_number(self, repo: Repo) -> int:
        """The next number in the issue/pull sequence of `repo`."""
        return max(repo.issues, default=0) + 1
