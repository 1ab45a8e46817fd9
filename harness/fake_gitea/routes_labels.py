"""Fake Gitea routes: repository labels, labels on issues, and issue dependencies.

Gitea sources (v1.25.4): routers/api/v1/repo/label.go, issue_label.go, issue_dependency.go and
models/issues/dependency.go.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Response

from harness.fake_gitea.app import ApiError, Ctx, Route
from harness.fake_gitea.payloads import issue_event
from harness.fake_gitea.routes_issues import find_issue
from harness.fake_gitea.state import Issue, Label, Repo, now

R = "/repos/<owner>/<name>"
COLOR = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")


def list_labels(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/labels (routers/api/v1/repo/label.go::ListLabels @v1.25.4): paged, X-Total-Count, no Link."""
    repo = ctx.repo(owner, name)
    return ctx.page([ctx.shapes.label(label, repo) for label in repo.labels.values()], link=False)


def normalize_color(color: str) -> str | None:
    """modules/label/label.go::NormalizeColor @v1.25.4: lower case, "#" added, #rgb widened; None when invalid."""
    color = color.strip().lower()
    if len(color) in (3, 6):
        color = "#" + color
    if not COLOR.fullmatch(color):
        return None
    return "#" + "".join(c * 2 for c in color[1:]) if len(color) == 4 else color


def create_label(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/labels (routers/api/v1/repo/label.go::CreateLabel @v1.25.4): 201.

    `reqRepoWriter(TypeIssues, TypePullRequests)` (403); `name` and `color` are Required (422 from
    `bind`); a colour `NormalizeColor` refuses is 422 "invalid color".
    """
    repo = ctx.repo(owner, name, "write")
    label_name, given = ctx.field("name") or "", ctx.field("color") or ""
    if not label_name or not given:
        raise ApiError(422, f"[{'Name' if not label_name else 'Color'}]: Required")
    color = normalize_color(given)
    if color is None:
        raise ApiError(422, f"invalid color: {given.strip().lower()}")
    label = Label(ctx.state.next_id("label"), label_name, color,
                  ctx.field("description") or "", bool(ctx.field("exclusive", False)))
    repo.labels[label.id] = label
    return ctx.json(ctx.shapes.label(label, repo), 201)


def issue_labels(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/labels (routers/api/v1/repo/issue_label.go::ListIssueLabels @v1.25.4): not paged."""
    repo = ctx.repo(owner, name)
    return ctx.json([ctx.shapes.label(label, repo) for label in find_issue(repo, number).labels])


def resolve_labels(repo: Repo, wanted: list) -> list[Label]:
    """Labels of `repo` named all by id or all by name; unknown ones are skipped, a mix is 400.

    routers/api/v1/repo/issue_label.go::prepareForReplaceOrAdd @v1.25.4: a JSON number is an id and
    a JSON string is a NAME (even "5"); anything else is 400; mixing both is 400; the labels it
    finds are loaded (`GetLabelsByIDs` ignores missing ones).
    """
    if any(isinstance(item, bool) or not isinstance(item, (int, float, str)) for item in wanted):
        raise ApiError(400, "a label must be an integer or a string")
    if len({isinstance(item, str) for item in wanted}) > 1:
        raise ApiError(400, "labels should be an array of strings or integers")
    found = []
    for item in wanted:
        key = item if isinstance(item, str) else int(item)
        found += [lb for lb in repo.labels.values() if (lb.name if isinstance(key, str) else lb.id) == key][:1]
    return found


def add_labels(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/{number}/labels (routers/api/v1/repo/issue_label.go::AddIssueLabels @v1.25.4): 200.

    404 for an unknown issue, then 403 "write permission is required"; answers all the issue's
    labels. services/issue/label.go::AddLabels notifies `label_updated` even when nothing was added.
    """
    repo = ctx.repo(owner, name)
    issue = find_issue(repo, number)
    if not ctx.state.can(repo, ctx.user, "write"):
        raise ApiError(403, "write permission is required")
    added = [lb for lb in resolve_labels(repo, list(ctx.field("labels") or [])) if lb not in issue.labels]
    issue.labels.extend(added)
    issue.updated = now() if added else issue.updated
    ctx.emit(repo, issue_event(ctx.shapes, "label_updated", issue, repo, ctx.signed_in()))
    return ctx.json([ctx.shapes.label(label, repo) for label in issue.labels])


def _dependencies_on(repo: Repo) -> None:
    """`IsDependenciesEnabled` (models/repo/repo.go): the issue tracker and its dependency switch."""
    if not (repo.has_issues and repo.enable_dependencies):
        raise ApiError(404, "The target couldn't be found.")


def list_dependencies(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/dependencies (routers/api/v1/repo/issue_dependency.go::GetIssueDependencies @v1.25.4).

    404 when dependencies are off; 1.25 pages by hand and sends neither Link nor X-Total-Count.
    """
    repo = ctx.repo(owner, name)
    _dependencies_on(repo)
    issue = find_issue(repo, number)
    blockers = [(ctx.state.repos[r], ctx.state.repos[r].issues[n]) for r, n in issue.depends_on]
    visible = [(r, i) for r, i in blockers if ctx.state.can(r, ctx.user, "read")]
    return ctx.page([ctx.shapes.issue(i, r) for r, i in visible], headers=ctx.profile.dependency_list_headers)


def _link(ctx: Ctx, owner: str, name: str, number: int) -> tuple[Repo, Issue, Issue, tuple[str, int]]:
    """The target issue, the blocker named in the body and the link's key, checked as Gitea's shared
    `createIssueDependency` / `removeIssueDependency` check (issue_dependency.go, v1.25.4): dependencies
    off, no write access to the target or no read access to the blocker's repository is 404 (not 403)."""
    repo = ctx.repo(owner, name)
    issue = find_issue(repo, number)
    _dependencies_on(repo)
    if not ctx.state.can(repo, ctx.user, "write"):
        raise ApiError(404, "The target couldn't be found.")
    other_name = f"{ctx.field('owner') or owner}/{ctx.field('repo') or name}"
    other_repo = ctx.state.repos.get(other_name)
    if other_repo is None or not ctx.state.can(other_repo, ctx.user, "read"):
        raise ApiError(404, "The target couldn't be found.")
    blocker = find_issue(other_repo, int(ctx.field("index") or 0))
    return repo, issue, blocker, (other_name, blocker.number)


def add_dependency(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/{number}/dependencies (routers/api/v1/repo/issue_dependency.go::CreateIssueDependency @v1.25.4): 201.

    Every error of models/issues/dependency.go `CreateIssueDependency` is a 500: a duplicate
    (ErrDependencyExists) and a DIRECT two-issue cycle (ErrCircularDependency checks only the
    reverse pair). A longer cycle A→B→C→A is accepted.
    """
    repo, issue, blocker, key = _link(ctx, owner, name, number)
    if key in issue.depends_on:
        raise ApiError(500, f"dependency already exists [issue_id: {issue.id}, dependency_id: {blocker.id}]")
    if blocker is issue or (repo.full_name, issue.number) in blocker.depends_on:
        raise ApiError(500, f"circular dependency exists [issue_id: {issue.id}, dependency_id: {blocker.id}]")
    issue.depends_on.append(key)
    return ctx.json(ctx.shapes.issue(issue, repo), 201)


def remove_dependency(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """DELETE /repos/{owner}/{repo}/issues/{number}/dependencies (routers/api/v1/repo/issue_dependency.go::RemoveIssueDependency @v1.25.4).

    models/issues/dependency.go `RemoveIssueDependency` fails with ErrDependencyNotExists when nothing
    was deleted, which the API answers with 500. On success it answers 201 with the target issue (the
    swagger says 200; the code wins).
    """
    repo, issue, blocker, key = _link(ctx, owner, name, number)
    if key not in issue.depends_on:
        raise ApiError(500, f"dependency does not exist [issue_id: {issue.id}, dependency_id: {blocker.id}]")
    issue.depends_on.remove(key)
    return ctx.json(ctx.shapes.issue(issue, repo), 201)


ROUTES = [
    Route("GET", R + "/labels", list_labels),
    Route("POST", R + "/labels", create_label),
    Route("GET", R + "/issues/<int:number>/labels", issue_labels),
    Route("POST", R + "/issues/<int:number>/labels", add_labels),
    Route("GET", R + "/issues/<int:number>/dependencies", list_dependencies),
    Route("POST", R + "/issues/<int:number>/dependencies", add_dependency),
    Route("DELETE", R + "/issues/<int:number>/dependencies", remove_dependency),
]
