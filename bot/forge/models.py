"""Gitea API objects as frozen values, built at the boundary by `from_api(dict)`.  PURE.

Gitea marks every field of these objects `omitempty` (swagger.v1.json lists none as required), so
each `from_api` reads every field with a default: an absent field is "", 0 or None, never a KeyError.
Two omissions matter in practice (see shared/reference/gitea/QUIRKS.md):
- `head_branch` is `RefName.BranchName()` (services/convert/convert.go), "" and so ABSENT for a
  `pull_request` run, whose ref is `refs/pull/N/head` (services/actions/notifier_helper.go);
- `conclusion` is absent until a run or job is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Json = Mapping[str, Any]
COMPLETED = "completed"  # the `status` of a run or job that has ended


def _text(data: Json, key: str) -> str:
    return str(data.get(key) or "")


def _int(data: Json, key: str) -> int:
    value = data.get(key)
    return int(value) if isinstance(value, (int, str)) and str(value).lstrip("-").isdigit() else 0


def _login(user: Any) -> str:
    """The login of a User object ("" when absent or null)."""
    return str(user.get("login") or "") if isinstance(user, Mapping) else ""


def _object(data: Json, key: str) -> Json:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Run:
    """ActionWorkflowRun: one run of a workflow."""

    id: int
    run_number: int = 0
    path: str = ""  # "<workflow file>@<ref>", e.g. "ci.yml@refs/heads/main" or "ci.yml@refs/pull/3/head"
    event: str = ""
    head_sha: str = ""
    head_branch: str = ""  # "" for pull_request and tag runs
    status: str = ""
    conclusion: str = ""  # "" until the run is done
    html_url: str = ""
    actor: str = ""
    trigger_actor: str = ""
    run_attempt: int = 0
    completed_at: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Run:
        """A run from the runs API or a workflow_run webhook."""
        return cls(id=_int(data, "id"), run_number=_int(data, "run_number"), path=_text(data, "path"),
                   event=_text(data, "event"), head_sha=_text(data, "head_sha"), head_branch=_text(data, "head_branch"),
                   status=_text(data, "status"), conclusion=_text(data, "conclusion"), html_url=_text(data, "html_url"),
                   actor=_login(data.get("actor")), trigger_actor=_login(data.get("trigger_actor")),
                   run_attempt=_int(data, "run_attempt"), completed_at=_text(data, "completed_at"))

    @property
    def workflow(self) -> str:
        """The workflow file: "ci.yml" from "ci.yml@refs/heads/main" or ".gitea/workflows/ci.yml"."""
        return self.path.split("@", 1)[0].rsplit("/", 1)[-1]

    @property
    def done(self) -> bool:
        """True once the run has ended."""
        return self.status == COMPLETED

    @property
    def triggered_by(self) -> str:
        """Who started the run: the trigger actor (a re-run's), else the actor."""
        return self.trigger_actor or self.actor


@dataclass(frozen=True)
class Job:
    """ActionWorkflowJob: one job of a run."""

    id: int
    run_id: int = 0
    name: str = ""
    head_sha: str = ""
    head_branch: str = ""
    status: str = ""
    conclusion: str = ""
    html_url: str = ""
    attempt: int = 0  # `run_attempt`: 1 for its first run, more once re-run (0 where Gitea does not say)

    @classmethod
    def from_api(cls, data: Json) -> Job:
        """A job from the jobs API or a workflow_job webhook."""
        return cls(id=_int(data, "id"), run_id=_int(data, "run_id"), name=_text(data, "name"),
                   head_sha=_text(data, "head_sha"), head_branch=_text(data, "head_branch"), status=_text(data, "status"),
                   conclusion=_text(data, "conclusion"), html_url=_text(data, "html_url"),
                   attempt=_int(data, "run_attempt"))


@dataclass(frozen=True)
class Status:
    """CommitStatus, or the `status` webhook's payload (which names the state `state` and adds `sha`)."""

    id: int
    context: str = ""
    state: str = ""
    sha: str = ""  # absent from the statuses API: the caller knows the commit it asked about
    target_url: str = ""
    description: str = ""
    creator: str = ""  # null for statuses Gitea Actions writes (convert/status.go cannot load user -2)
    author: str = ""  # the commit's author, from a webhook's `commit`
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_api(cls, data: Json, *, sha: str = "") -> Status:
        """A status from the statuses API (`status`, `creator`) or a webhook (`state`, `sender`, `sha`)."""
        author = _object(_object(data, "commit"), "author")
        return cls(id=_int(data, "id"), context=_text(data, "context"),
                   state=_text(data, "state") or _text(data, "status"), sha=_text(data, "sha") or sha,
                   target_url=_text(data, "target_url"), description=_text(data, "description"),
                   creator=_login(data.get("creator")) or _login(data.get("sender")),
                   author=str(author.get("username") or ""), created_at=_text(data, "created_at"),
                   updated_at=_text(data, "updated_at"))


@dataclass(frozen=True)
class Pull:
    """PullRequest: the parts the bot reads."""

    number: int
    head_ref: str = ""
    head_sha: str = ""
    base_ref: str = ""
    author: str = ""
    state: str = ""
    html_url: str = ""
    head_repo: str = ""  # full name of the repository the head branch lives in ("" when Gitea omits it)
    base_repo: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Pull:
        """A pull request from the pulls API or a webhook."""
        head, base = _object(data, "head"), _object(data, "base")
        return cls(number=_int(data, "number"), head_ref=_text(head, "ref"), head_sha=_text(head, "sha"),
                   base_ref=_text(base, "ref"), author=_login(data.get("user")), state=_text(data, "state"),
                   html_url=_text(data, "html_url"), head_repo=_text(_object(head, "repo"), "full_name"),
                   base_repo=_text(_object(base, "repo"), "full_name"))


@dataclass(frozen=True)
class Issue:
    """Issue (a pull request's issue too, when `is_pull`)."""

    number: int
    title: str = ""
    body: str = ""
    state: str = ""
    author: str = ""
    html_url: str = ""
    is_pull: bool = False

    @classmethod
    def from_api(cls, data: Json) -> Issue:
        """An issue from the issues API or a webhook."""
        return cls(number=_int(data, "number"), title=_text(data, "title"), body=_text(data, "body"),
                   state=_text(data, "state"), author=_login(data.get("user")), html_url=_text(data, "html_url"),
                   is_pull=bool(data.get("pull_request")))


@dataclass(frozen=True)
class Comment:
    """Comment on an issue or pull request."""

    id: int
    body: str = ""
    author: str = ""
    html_url: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Comment:
        """A comment from the comments API or a webhook."""
        return cls(id=_int(data, "id"), body=_text(data, "body"), author=_login(data.get("user")),
                   html_url=_text(data, "html_url"))


@dataclass(frozen=True)
class Reaction:
    """Reaction on a comment or issue."""

    content: str
    user: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Reaction:
        """A reaction from the reactions API."""
        return cls(content=_text(data, "content"), user=_login(data.get("user")))


@dataclass(frozen=True)
class Branch:
    """Branch: its name and head commit."""

    name: str
    sha: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Branch:
        """A branch from the branches API (the head commit's sha is `commit.id`)."""
        return cls(name=_text(data, "name"), sha=_text(_object(data, "commit"), "id"))


@dataclass(frozen=True)
class Repository:
    """Repository: the parts the bot reads."""

    full_name: str
    default_branch: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Repository:
        """A repository from the repos API."""
        return cls(full_name=_text(data, "full_name"), default_branch=_text(data, "default_branch"))


@dataclass(frozen=True)
class Entry:
    """A file or folder: GitEntry of the trees API, or ContentsResponse of the contents API."""

    path: str
    type: str = ""  # "blob"/"tree" in a tree; "file"/"dir" in contents
    sha: str = ""

    @classmethod
    def from_api(cls, data: Json) -> Entry:
        """An entry of a tree or a contents answer."""
        return cls(path=_text(data, "path"), type=_text(data, "type"), sha=_text(data, "sha"))


def tree_entries(tree: Json) -> list[Entry]:
    """The entries of a GitTreeResponse (`tree` is absent for an empty tree)."""
    entries = tree.get("tree")
    return [Entry.from_api(entry) for entry in entries if isinstance(entry, Mapping)] if isinstance(entries, list) else []


def commit_sha(change: Json) -> str:
    """The new commit's sha in a FileResponse / FilesResponse (`commit.sha`), "" when absent."""
    return _text(_object(change, "commit"), "sha")
