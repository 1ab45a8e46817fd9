"""Fake Gitea routes: file contents, multi-file commits, diff patches, git trees and branches.

Every write makes a new commit (with a git-computed sha) on a branch, then emits `push` (and `create`
for a new branch), `pull_request` `synchronized` for open pull requests from that branch, and
a CI `Trigger`.
"""

from __future__ import annotations

import base64
import binascii

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route, Trigger
from harness.fake_gitea.git import Commit, Signature, blob_sha, make_commit
from harness.fake_gitea.patch import PatchError, apply_patch
from harness.fake_gitea.payloads import Event, create_event, issue_event, push_event
from harness.fake_gitea.serialize_code import Shapes
from harness.fake_gitea.state import Repo, User, now

R = "/repos/<owner>/<name>"


def push_files(repo: Repo, branch: str, files: dict[str, bytes], message: str, author: Signature,
               new_branch: str | None = None) -> tuple[Commit, str]:
    """Commit the snapshot `files` on top of `branch` (onto `new_branch` when given); (commit, before sha)."""
    parent = repo.branches.get(branch)  # None: the first commit of an empty repository
    commit = make_commit(files, (parent,) if parent else (), message, author, now())
    repo.commits[commit.sha] = commit
    target = new_branch or branch
    before = repo.branches.get(target, "0" * 40)
    repo.branches[target] = commit.sha
    return commit, before


def push_events(shapes: Shapes, repo: Repo, branch: str, before: str, commits: list[Commit], created: bool,
                pusher: User) -> list[Event]:
    """The webhooks of commits landing on `branch`: create (new branch), push, synchronized open pulls."""
    events = [create_event(shapes, repo, branch, repo.branches[branch], pusher)] if created else []
    events.append(push_event(shapes, repo, branch, before, commits, pusher))
    for issue in repo.issues.values():
        if issue.pull and issue.state == "open" and issue.pull.head == branch and commits:
            events.append(issue_event(shapes, "synchronized", issue, repo, pusher))
    return events


def announce_push(ctx: Ctx, repo: Repo, branch: str, before: str, commits: list[Commit], created: bool) -> None:
    """Webhooks and CI trigger for commits that landed on `branch`."""
    user = ctx.signed_in()
    for event in push_events(ctx.shapes, repo, branch, before, commits, created, user):
        ctx.emit(repo, event)
    ctx.triggers.append(Trigger(repo.full_name, "push", f"refs/heads/{branch}", repo.branches[branch],
                                actor=user.login))


def _target(ctx: Ctx, repo: Repo) -> tuple[str, str | None]:
    branch = ctx.field("branch") or repo.default_branch
    new_branch = ctx.field("new_branch") or None
    if repo.empty and branch == repo.default_branch and not new_branch:
        return branch, None  # services/repository/files: the first commit creates the default branch
    if branch not in repo.branches:
        raise ApiError(404, f"branch does not exist [name: {branch}]")
    if new_branch and new_branch in repo.branches:
        raise ApiError(422, f"branch already exists [name: {new_branch}]")
    return branch, new_branch


def _author(ctx: Ctx) -> Signature:
    given = ctx.field("author") or {}
    me = ctx.signed_in().signature
    return Signature(given.get("name") or me.name, given.get("email") or me.email)


def _apply_operation(files: dict[str, bytes], op: dict) -> None:
    kind, path = op.get("operation"), (op.get("path") or "").strip("/")
    try:
        content = base64.b64decode(op.get("content") or "", validate=True)
    except binascii.Error as exc:
        raise ApiError(422, f"{path}: content is not valid base64") from exc
    if kind == "create" and path in files:
        raise ApiError(422, f"repository file already exists [path: {path}]")
    if kind in ("update", "delete"):
        if path not in files:
            raise ApiError(404, f"repository file does not exist [path: {path}]")
        if not op.get("sha"):
            raise ApiError(422, f"sha is required to {kind} {path}: read the file first and pass its sha")
        if op["sha"] != blob_sha(files[path]):
            raise ApiError(422, f"sha does not match [given: {op['sha']}]: {path} changed since it was read")
    if kind == "delete":
        del files[path]
    elif kind == "rename":
        old = files.pop((op.get("from_path") or "").strip("/"), None)
        if old is None:
            raise ApiError(404, f"repository file does not exist [path: {op.get('from_path')}]")
        files[path] = content if op.get("content") else old
    elif kind in ("create", "update", "upload"):
        files[path] = content
    else:
        raise ApiError(422, f"unknown operation {kind!r}")


def change_files(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/contents (routers/api/v1/repo/file.go::ChangeFiles @v1.25.4): 201 FilesResponse.

    Errors as `handleChangeRepoFilesError`: an existing file to create, a wrong sha or an existing
    new branch 422; an unknown branch or file 404.
    """
    repo = ctx.repo(owner, name, "write")
    branch, new_branch = _target(ctx, repo)
    operations = ctx.field("files") or []
    if not operations:
        raise ApiError(422, "[Files]: Required")
    files = dict(repo.commits[repo.branches[branch]].files) if branch in repo.branches else {}
    for op in operations:
        _apply_operation(files, op)
    message = ctx.field("message") or "Update files"
    commit, before = push_files(repo, branch, files, message, _author(ctx), new_branch)
    announce_push(ctx, repo, new_branch or branch, before, [commit], created=bool(new_branch))
    ref = new_branch or branch
    changed = [ctx.shapes.contents(repo, commit, op["path"].strip("/"), with_content=True, ref=ref)
               if op["path"].strip("/") in commit.files else None for op in operations]
    return ctx.json({"files": changed, "commit": ctx.shapes.file_commit(commit, repo),
                     "verification": _unsigned()}, 201)


def apply_diffpatch(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/diffpatch (routers/api/v1/repo/patch.go::ApplyDiffPatch @v1.25.4): 201 FileResponse.

    The default message is "apply-patch". A patch `git apply` refuses is a 500: services/repository/
    files/patch.go::ApplyDiffPatch wraps the git error with fmt.Errorf, which `handleChangeRepoFilesError`
    does not map.
    """
    repo = ctx.repo(owner, name, "write")
    branch, new_branch = _target(ctx, repo)
    try:
        files = apply_patch(repo.commits[repo.branches[branch]].files, ctx.field("content") or "")
    except PatchError as exc:
        raise ApiError(500, f"Error: Stdout: \nStderr: error: patch does not apply: {exc}\nErr: exit status 1") from exc
    commit, before = push_files(repo, branch, files, ctx.field("message") or "apply-patch", _author(ctx), new_branch)
    announce_push(ctx, repo, new_branch or branch, before, [commit], created=bool(new_branch))
    return ctx.json({"content": None, "commit": ctx.shapes.file_commit(commit, repo), "verification": _unsigned()}, 201)


def _unsigned() -> dict:
    return {"verified": False, "reason": "gpg.error.not_signed_commit", "signature": "", "signer": None, "payload": ""}


def get_contents(ctx: Ctx, owner: str, name: str, filepath: str = "") -> Response:
    """GET /repos/{owner}/{repo}/contents[/{filepath}] (routers/api/v1/repo/file.go::GetContents @v1.25.4
    and ::GetContentsList, services/repository/files/content.go::GetContentsOrList).

    `ref` defaults to the default branch; `resolveRefCommit` answers 404 for an unknown ref, so an
    EMPTY repository is 404 even at its root (`GetContentsOrList`'s `[]` for an empty repository is
    never reached). An unknown path is 404; a file comes with its content, a directory as a list.
    """
    repo = ctx.repo(owner, name)
    ref = (ctx.request.args.get("ref") or "").strip() or repo.default_branch
    path = filepath.strip("/")
    commit = repo.resolve(ref)
    if commit is None:
        raise ApiError(404, f"object does not exist [id: {ref}, rel_path: ]")
    if path in commit.files:
        return ctx.json(ctx.shapes.contents(repo, commit, path, with_content=True, ref=ref))
    prefix = path + "/" if path else ""
    children = sorted({prefix + p[len(prefix):].split("/", 1)[0] for p in commit.files if p.startswith(prefix)})
    if not children:
        raise ApiError(404, f"object does not exist [id: , rel_path: {path}]")
    return ctx.json([ctx.shapes.contents(repo, commit, c, with_content=False, ref=ref) for c in children])


def get_tree(ctx: Ctx, owner: str, name: str, sha: str) -> Response:
    """GET /repos/{owner}/{repo}/git/trees/{sha} (routers/api/v1/repo/tree.go::GetTree @v1.25.4,
    services/repository/files/tree.go::GetTreeBySHA).

    An unknown sha (also any ref of an empty repository) is a 400, not a 404. `sha` of the answer
    is the resolved id: the COMMIT id for a branch or commit, the tree id for a tree. `per_page`
    is capped at 1000 (setting.API.DefaultGitTreesPerPage); a page past the end has `tree: null`.
    X-Total-Count is set.
    """
    repo = ctx.repo(owner, name)
    commit = repo.resolve(sha)
    resolved = commit.sha if commit is not None else sha
    if commit is None:
        commit = next((c for c in repo.commits.values() if c.tree == sha), None)
    if commit is None:
        raise ApiError(400, f"sha not found [{sha}]")
    entries = ctx.shapes.git_entries(repo, commit, ctx.request.args.get("recursive") in ("true", "1"))
    page, per_page = _int_arg(ctx, "page"), _int_arg(ctx, "per_page")
    per_page = per_page if 0 < per_page <= 1000 else 1000
    page = max(1, page)
    window = entries[(page - 1) * per_page: page * per_page] or None
    body = {"sha": resolved, "url": f"{ctx.shapes.api}/repos/{repo.full_name}/git/trees/{resolved}",
            "tree": window, "truncated": page * per_page < len(entries), "page": page, "total_count": len(entries)}
    return ctx.json(body, headers=ctx.total_header(len(entries)))


def _int_arg(ctx: Ctx, key: str) -> int:
    """`ctx.FormInt`: 0 when absent or not a number."""
    try:
        return int(ctx.request.args.get(key, 0))
    except ValueError:
        return 0


def list_branches(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/branches (routers/api/v1/repo/branch.go::ListBranches @v1.25.4).

    JSON null for an empty repository (`apiBranches` stays nil); Link and X-Total-Count.
    """
    repo = ctx.repo(owner, name)
    if repo.empty:
        return ctx.json(None)
    return ctx.page([ctx.shapes.branch(repo, b) for b in sorted(repo.branches)])


def get_branch(ctx: Ctx, owner: str, name: str, branch: str) -> Response:
    """GET /repos/{owner}/{repo}/branches/{branch} (routers/api/v1/repo/branch.go::GetBranch @v1.25.4): 404 when unknown."""
    repo = ctx.repo(owner, name)
    if branch not in repo.branches:
        raise ApiError(404, f"branch does not exist [name: {branch}]")
    return ctx.json(ctx.shapes.branch(repo, branch))


def create_branch(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/branches (routers/api/v1/repo/branch.go::CreateBranch @v1.25.4): 201.

    An unknown `old_ref_name` is a 500 (the ref lookup error is not mapped); an unknown
    `old_branch_name` is a 404.
    """
    repo = ctx.repo(owner, name, "write")
    new = ctx.field("new_branch_name") or ""
    source = ctx.field("old_ref_name") or ctx.field("old_branch_name") or repo.default_branch
    commit = repo.resolve(source)
    if not new:
        raise ApiError(422, "[NewBranchName]: Required")
    if commit is None and ctx.field("old_ref_name"):
        raise ApiError(500, f"GetRefCommitID: object does not exist [id: {source}]")
    if commit is None:
        raise ApiError(404, f"The old branch does not exist [ref: {source}]")
    if new in repo.branches:
        raise ApiError(409, f"The branch with the same name already exists [name: {new}]")
    repo.branches[new] = commit.sha
    announce_push(ctx, repo, new, "0" * 40, [], created=True)
    return ctx.json(ctx.shapes.branch(repo, new), 201)


ROUTES = [
    Route("GET", R + "/contents", get_contents),
    Route("POST", R + "/contents", change_files),
    Route("GET", R + "/contents/<path:filepath>", get_contents),
    Route("POST", R + "/diffpatch", apply_diffpatch),
    Route("GET", R + "/git/trees/<sha>", get_tree),
    Route("GET", R + "/branches", list_branches),
    Route("POST", R + "/branches", create_branch),
    Route("GET", R + "/branches/<path:branch>", get_branch),
]
