"""Git objects for the fake Gitea test harness: snapshots of files with real git object ids.

A commit holds the whole tree as `{path: bytes}`; blob, tree and commit ids are computed the way
git computes them, so shas look and behave like Gitea's (content-addressed, 40 hex digits).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

FILE_MODE = "100644"
TREE_MODE = "040000"


def blob_sha(data: bytes) -> str:
    """git's object id of a blob."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _tree_object(files: Mapping[str, bytes], prefix: str = "") -> tuple[str, dict[str, str]]:
    """The sha of the tree under `prefix`, and the shas of every subtree below it (by path)."""
    children: dict[str, tuple[str, str]] = {}  # name -> (mode, sha)
    subtrees: dict[str, str] = {}
    names = {p[len(prefix):].split("/", 1)[0] for p in files if p.startswith(prefix)}
    for name in names:
        path = prefix + name
        if path in files:
            children[name] = (FILE_MODE, blob_sha(files[path]))
        else:
            sha, below = _tree_object(files, path + "/")
            children[name] = (TREE_MODE, sha)
            subtrees.update(below)
            subtrees[path] = sha
    body = b"".join(
        f"{mode.lstrip('0')} {name}".encode() + b"\0" + bytes.fromhex(sha)
        for name, (mode, sha) in sorted(children.items(), key=lambda kv: kv[0] + ("/" if kv[1][0] == TREE_MODE else ""))
    )
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest(), subtrees


def tree_sha(files: Mapping[str, bytes]) -> str:
    """git's object id of the root tree of `files`."""
    return _tree_object(files)[0]


@dataclass(frozen=True)
class Signature:
    """Author or committer of a commit."""

    name: str
    email: str


@dataclass(frozen=True)
class Commit:
    """One commit: a full snapshot of the files, its parents and its metadata."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    files: Mapping[str, bytes] = field(repr=False)
    message: str
    author: Signature
    committer: Signature
    when: datetime

    def subtrees(self) -> dict[str, str]:
        """Every directory path of the snapshot mapped to its tree sha."""
        return _tree_object(self.files)[1]


def make_commit(files: Mapping[str, bytes], parents: tuple[str, ...], message: str,
                author: Signature, when: datetime, committer: Signature | None = None) -> Commit:
    """A commit whose sha is computed like git's."""
    committer = committer or author
    tree = tree_sha(files)
    stamp = f"{int(when.timestamp())} +0000"
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents),
             f"author {author.name} <{author.email}> {stamp}",
             f"committer {committer.name} <{committer.email}> {stamp}", "", message]
    body = "\n".join(lines).encode()
    sha = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
    return Commit(sha, tree, parents, dict(files), message, author, committer, when)


def changed_paths(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> tuple[list[str], list[str], list[str]]:
    """(added, removed, modified) paths between two snapshots."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    modified = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    return added, removed, modified
