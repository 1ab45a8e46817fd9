"""GiteaClient: one short method per Gitea REST endpoint teabot uses, over an injected httpx.Client.

Repositories are always one string "owner/name". Methods return Gitea's JSON as plain dicts and
lists, shaped as in Gitea's API description (swagger.v1.json). Errors are `bot.forge.errors`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from bot.forge.actions import ActionsMethods
from bot.forge.capabilities import MIN_VERSION, Capabilities
from bot.forge.compat import attachment_url
from bot.forge.errors import (BadRequest, DependenciesDisabled, DependencyCycle, DependencyExists, DependencyRejected,
                              EmptyRepository, ForgeError, ForgeUnavailable, NotFound, Unsupported)
from bot.forge.hooks import HookMethods
from bot.forge.transport import Transport

Json = dict[str, Any]


def repo_path(repo: str) -> str:
    """`/repos/{owner}/{name}` for "owner/name"."""
    owner, sep, name = repo.partition("/")
    if not (owner and sep and name) or "/" in name:
        raise ValueError(f"repository {repo!r} is not of the form 'owner/name'")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


def encode_content(content: bytes | str | None) -> str | None:
    """Base64 of a file's content, as the contents API expects."""
    if content is None:
        return None
    data = content.encode() if isinstance(content, str) else content
    return base64.b64encode(data).decode("ascii")


class GiteaClient(ActionsMethods, HookMethods):
    """The Gitea REST API (base URL ".../api/v1") as Python methods."""

    def __init__(self, http: httpx.Client, *, retries: int = 3, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.transport = Transport(http, retries=retries, backoff=backoff, sleep=sleep)
        self._capabilities: Capabilities | None = None

    def _get(self, path: str, **params: Any) -> Any:
        return self.transport.request("GET", path, params=params).json()

    def _send(self, method: str, path: str, body: Any = None, *, safe: bool | None = None) -> Any:
        response = self.transport.request(method, path, json=body, safe=safe)
        return response.json() if response.content else None

    def _require(self, feature: str, what: str) -> None:
        caps = self.capabilities()
        if not getattr(caps, feature):
            raise Unsupported(f"{what} needs Gitea {MIN_VERSION[feature]} or newer; this server is {caps.version}")

    # --- server and users -------------------------------------------------------------------

    def version(self) -> str:
        """The server's version string (GET /version)."""
        return str(self._get("/version")["version"])

    def capabilities(self) -> Capabilities:
        """Feature flags of the server, fetched once."""
        if self._capabilities is None:
            self._capabilities = Capabilities.from_version(self.version())
        return self._capabilities

    def current_user(self) -> Json:
        """The user the token belongs to."""
        return self._get("/user")

    def get_repo(self, repo: str) -> Json:
        """One repository."""
        return self._get(repo_path(repo))

    def collaborator_permission(self, repo: str, login: str) -> str:
        """"none", "read", "write", "admin" or "owner": what `login` may do in `repo`."""
        try:
            body = self._get(f"{repo_path(repo)}/collaborators/{quote(login, safe='')}/permission")
        except NotFound:
            return "none"
        return str(body.get("permission") or "none")

    # --- issues, comments, reactions, attachments ------------------------------------------

    def get_issue(self, repo: str, number: int) -> Json:
        """One issue or pull request, by number."""
        return self._get(f"{repo_path(repo)}/issues/{number}")

    def list_issues(self, repo: str, *, state: str = "open", labels: Iterable[str] = (),
                    type: str | None = None) -> list[Json]:
        """Issues (type="issues"), pulls (type="pulls") or both, all pages; only those carrying every label in `labels`.

        Gitea drops label names the repository does not have from the filter (routers/api/v1/repo/
        issue.go::ListIssues @v1.25.4, `GetLabelIDsInRepoByNames`), so an unknown label would match
        every issue: the labels are checked again here.
        """
        wanted = list(labels)
        params = {"state": state, "labels": ",".join(wanted) or None, "type": type}
        found = self.transport.paginate(f"{repo_path(repo)}/issues", params)
        return [i for i in found if set(wanted) <= {str(lb.get("name")) for lb in i.get("labels") or []}]

    def create_issue(self, repo: str, title: str, body: str = "", *, labels: Iterable[int] = (),
                     assignees: Iterable[str] = ()) -> Json:
        """Open an issue; `labels` are label ids (Gitea takes only ids here)."""
        payload = {"title": title, "body": body, "labels": list(labels), "assignees": list(assignees)}
        return self._send("POST", f"{repo_path(repo)}/issues", payload)

    def edit_issue(self, repo: str, number: int, **fields: Any) -> Json:
        """Change fields of an issue (title, body, state, assignees, ...)."""
        return self._send("PATCH", f"{repo_path(repo)}/issues/{number}", fields)

    def list_comments(self, repo: str, number: int) -> list[Json]:
        """All comments of an issue or pull request, oldest first."""
        return self._get(f"{repo_path(repo)}/issues/{number}/comments")

    def get_comment(self, repo: str, comment_id: int) -> Json:
        """One comment."""
        return self._get(f"{repo_path(repo)}/issues/comments/{comment_id}")

    def create_comment(self, repo: str, number: int, body: str) -> Json:
        """Post a comment on an issue or pull request."""
        return self._send("POST", f"{repo_path(repo)}/issues/{number}/comments", {"body": body})

    def edit_comment(self, repo: str, comment_id: int, body: str) -> Json:
        """Replace the body of a comment."""
        return self._send("PATCH", f"{repo_path(repo)}/issues/comments/{comment_id}", {"body": body})

    def add_comment_reaction(self, repo: str, comment_id: int, content: str) -> Json:
        """React to a comment, e.g. "eyes" (201, or 200 when the reaction is already there)."""
        return self._send("POST", f"{repo_path(repo)}/issues/comments/{comment_id}/reactions", {"content": content})

    def list_comment_reactions(self, repo: str, comment_id: int) -> list[Json]:
        """Reactions on a comment."""
        return self._get(f"{repo_path(repo)}/issues/comments/{comment_id}/reactions") or []

    def list_issue_reactions(self, repo: str, number: int) -> list[Json]:
        """Reactions on an issue's description, all pages."""
        return self.transport.paginate(f"{repo_path(repo)}/issues/{number}/reactions")

    def list_issue_attachments(self, repo: str, number: int) -> list[Json]:
        """Files attached to an issue's description."""
        return self._get(f"{repo_path(repo)}/issues/{number}/assets")

    def download(self, url: str) -> bytes:
        """Bytes behind an attachment URL; only from the Gitea server itself (the token goes along).

        An attachment URL built from a ROOT_URL other than TEABOT_GITEA_URL is fetched from TEABOT_GITEA_URL.
        """
        base = self.http.base_url
        target = attachment_url(url, base)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise ForgeError(f"refusing to download {target.host}: the bot only downloads from its Gitea server")
        return self.transport.send(self.http.build_request("GET", target), safe=True).content

    # --- labels and dependencies -----------------------------------------------------------

    def list_labels(self, repo: str) -> list[Json]:
        """All labels of a repository."""
        return self.transport.paginate(f"{repo_path(repo)}/labels")

    def create_label(self, repo: str, name: str, color: str, description: str = "") -> Json:
        """Create a repository label; `color` like "#ee0701"."""
        body = {"name": name, "color": "#" + color.lstrip("#"), "description": description}
        return self._send("POST", f"{repo_path(repo)}/labels", body)

    def add_labels(self, repo: str, number: int, labels: Iterable[int | str]) -> list[Json]:
        """Add labels (ids or names; unknown ones are ignored by Gitea) to an issue; returns all its labels.

        Gitea answers 400 to a list mixing ids and names, so a mixed list is sent as ids.
        """
        wanted = list(labels)
        if len({isinstance(item, str) for item in wanted}) > 1:
            ids = {str(lb.get("name")): int(lb["id"]) for lb in self.list_labels(repo)}
            wanted = [item if isinstance(item, int) else ids[item] for item in wanted
                      if isinstance(item, int) or item in ids]
        return self._send("POST", f"{repo_path(repo)}/issues/{number}/labels", {"labels": wanted}, safe=True)

    def list_dependencies(self, repo: str, number: int) -> list[Json]:
        """Issues that block issue `number` (it depends on them)."""
        try:
            return self.transport.paginate(f"{repo_path(repo)}/issues/{number}/dependencies")
        except NotFound as exc:
            self._dependencies_enabled(repo, exc)
            raise

    def add_dependency(self, repo: str, number: int, depends_on_number: int,
                       depends_on_repo: str | None = None) -> Json:
        """Make issue `number` depend on (be blocked by) issue `depends_on_number` of `depends_on_repo`."""
        owner, _, name = (depends_on_repo or repo).partition("/")
        meta = {"owner": owner, "repo": name, "index": depends_on_number}
        try:
            return self._send("POST", f"{repo_path(repo)}/issues/{number}/dependencies", meta)
        except ForgeUnavailable as exc:
            if exc.status != 500:
                raise
            raise self._rejected(repo, number, f"{owner}/{name}", depends_on_number, exc) from exc
        except NotFound as exc:
            self._dependencies_enabled(repo, exc)
            raise

    def _rejected(self, repo: str, number: int, other: str, other_number: int,
                  exc: ForgeUnavailable) -> DependencyRejected:
        """Tell Gitea's 500 for a duplicate from its 500 for a two-issue cycle (dependency.go)."""
        try:
            linked = any(d.get("number") == other_number and (d.get("repository") or {}).get("full_name") == other
                         for d in self.list_dependencies(repo, number))
        except ForgeError:
            linked = False
        if linked:
            return DependencyExists(exc.status, exc.url, f"#{number} already depends on {other}#{other_number}")
        return DependencyCycle(exc.status, exc.url, f"Gitea refused to make #{number} depend on {other}#{other_number}"
                               f": that issue already depends on #{number}, or Gitea failed ({exc.message})")

    def _dependencies_enabled(self, repo: str, exc: NotFound) -> None:
        """Raise DependenciesDisabled when `repo` has its issue tracker or dependencies switched off."""
        info = self.get_repo(repo)
        tracker = info.get("internal_tracker") or {}
        if info.get("has_issues") is False or tracker.get("enable_issue_dependencies") is False:
            raise DependenciesDisabled(exc.status, exc.url, f"issue dependencies are switched off in {repo}: enable "
                                       "them (Settings → Repository → Issues → Enable dependencies)") from exc

    def _empty_or(self, repo: str, exc: NotFound) -> NotFound:
        """EmptyRepository when `repo` has no commits yet (why its default branch 404s), else `exc`."""
        try:
            empty = bool(self.get_repo(repo).get("empty"))
        except ForgeError:
            return exc
        if not empty:
            return exc
        return EmptyRepository(exc.status, exc.url, f"{repo} is empty: it has no commits yet")

    def remove_dependency(self, repo: str, number: int, depends_on_number: int,
                          depends_on_repo: str | None = None) -> Json:
        """Stop issue `number` depending on issue `depends_on_number` (Gitea: DELETE with the same body)."""
        owner, _, name = (depends_on_repo or repo).partition("/")
        meta = {"owner": owner, "repo": name, "index": depends_on_number}
        return self._send("DELETE", f"{repo_path(repo)}/issues/{number}/dependencies", meta)

    # --- repository contents ---------------------------------------------------------------

    def get_contents(self, repo: str, path: str = "", ref: str | None = None) -> Json | list[Json]:
        """A file (with base64 `content`) or a directory listing, at `ref` (default branch when None)."""
        path = path.strip("/")
        try:
            return self._get(f"{repo_path(repo)}/contents" + (f"/{quote(path)}" if path else ""), ref=ref)
        except NotFound as exc:
            raise self._empty_or(repo, exc) from exc

    def get_file(self, repo: str, path: str, ref: str | None = None) -> bytes | None:
        """The bytes of a file at `ref`, or None when there is no file at `path`."""
        try:
            entry = self.get_contents(repo, path, ref)
        except NotFound:
            return None
        if not isinstance(entry, dict) or entry.get("type") != "file":
            return None
        return base64.b64decode(entry.get("content") or "")

    def get_tree(self, repo: str, sha: str, recursive: bool = True) -> Json:
        """The git tree of a commit, branch or tree sha, all pages merged into one `tree` list.

        Gitea answers an unknown sha (and any ref of an empty repository) with 400, not 404
        (routers/api/v1/repo/tree.go::GetTree @v1.25.4); both raise NotFound (EmptyRepository when empty).
        """
        path = f"{repo_path(repo)}/git/trees/{quote(sha, safe='')}"
        try:
            first = body = self._get(path, recursive=recursive, page=1)
        except NotFound as exc:
            raise self._empty_or(repo, exc) from exc
        except BadRequest as exc:
            if exc.status != 400:
                raise
            missing = NotFound(exc.status, exc.url, f"no tree {sha!r} in {repo}: {exc.message}")
            raise self._empty_or(repo, missing) from exc
        tree, page = list(first.get("tree") or []), 1
        while body.get("truncated") and body.get("tree") and page < 1000:
            page += 1
            body = self._get(path, recursive=recursive, page=page)
            tree.extend(body.get("tree") or [])
        return {**first, "tree": tree, "truncated": False}

    def change_files(self, repo: str, *, branch: str, message: str, files: Iterable[Mapping[str, Any]],
                     new_branch: str | None = None, author: Mapping[str, str] | None = None) -> Json:
        """One commit of several file operations ({operation, path, content (bytes|str), sha, from_path})."""
        operations = [{**f, "content": encode_content(f.get("content"))} for f in files]
        body = {"branch": branch, "new_branch": new_branch, "message": message,
                "files": [{k: v for k, v in op.items() if v is not None} for op in operations]}
        if author:
            body["author"] = dict(author)
        return self._send("POST", f"{repo_path(repo)}/contents", {k: v for k, v in body.items() if v is not None})

    def apply_diffpatch(self, repo: str, *, branch: str, message: str, patch: str,
                        new_branch: str | None = None) -> Json:
        """Commit a unified diff onto `branch` (or onto `new_branch` made from it)."""
        body = {"branch": branch, "new_branch": new_branch, "message": message, "content": patch}
        return self._send("POST", f"{repo_path(repo)}/diffpatch", {k: v for k, v in body.items() if v is not None})

    # --- branches --------------------------------------------------------------------------

    def get_branch(self, repo: str, name: str) -> Json:
        """One branch with its head commit (EmptyRepository when the repository has no commits)."""
        try:
            return self._get(f"{repo_path(repo)}/branches/{quote(name)}")
        except NotFound as exc:
            raise self._empty_or(repo, exc) from exc

    def list_branches(self, repo: str) -> list[Json]:
        """All branches."""
        return self.transport.paginate(f"{repo_path(repo)}/branches")

    def create_branch(self, repo: str, name: str, from_ref: str) -> Json:
        """Create branch `name` at `from_ref` (a branch, tag or commit sha)."""
        body = {"new_branch_name": name, "old_ref_name": from_ref}
        return self._send("POST", f"{repo_path(repo)}/branches", body)

    # --- pull requests ---------------------------------------------------------------------

    def create_pull(self, repo: str, head: str, base: str, title: str, body: str = "") -> Json:
        """Open a pull request from branch `head` into `base`."""
        payload = {"head": head, "base": base, "title": title, "body": body}
        return self._send("POST", f"{repo_path(repo)}/pulls", payload)

    def get_pull(self, repo: str, number: int) -> Json:
        """One pull request."""
        return self._get(f"{repo_path(repo)}/pulls/{number}")

    def edit_pull(self, repo: str, number: int, **fields: Any) -> Json:
        """Change fields of a pull request (title, body, state, base, ...)."""
        return self._send("PATCH", f"{repo_path(repo)}/pulls/{number}", fields)

    def list_pulls(self, repo: str, *, state: str = "open", base_branch: str | None = None) -> list[Json]:
        """Pull requests, all pages."""
        return self.transport.paginate(f"{repo_path(repo)}/pulls", {"state": state, "base_branch": base_branch})

    def find_pull(self, repo: str, head: str, base: str | None = None) -> Json | None:
        """The open pull request from branch `head` (into `base`, when given), if any."""
        for pull in self.list_pulls(repo, base_branch=base):
            if pull.get("head", {}).get("ref") == head and (base is None or pull["base"]["ref"] == base):
                return pull
        return None

    # --- commit statuses -------------------------------------------------------------------

    def list_statuses(self, repo: str, sha: str) -> list[Json]:
        """Commit statuses of a commit, all pages."""
        return self.transport.paginate(f"{repo_path(repo)}/statuses/{quote(sha, safe='')}")

    def create_status(self, repo: str, sha: str, state: str, context: str, description: str = "",
                      target_url: str = "") -> Json:
        """Set the commit status `context` of `sha` (pending/success/error/failure/warning/skipped)."""
        body = {"state": state, "context": context, "description": description, "target_url": target_url}
        return self._send("POST", f"{repo_path(repo)}/statuses/{quote(sha, safe='')}", body, safe=True)
