"""Fake Gitea routes: repository labels, labels on issues, and issue dependencies (write access needed)."""

from __future__ import annotations

import re

from werkzeug.wrappers import Response

from bot.devtools.fake_gitea.app import ApiError, Ctx, Route
from bot.devtools.fake_gitea.payloads import issue_event
from bot.devtools.fake_gitea.routes_issues import find_issue
from bot.devtools.fake_gitea.state import Issue, Label, Repo, now

R = "/repos/<owner>/<name>"
COLOR = re.compile(r"#?[0-9a-fA-F]{6}")


def list_labels(ctx: Ctx, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo}/labels."""
    repo = ctx.repo(owner, name)
    return ctx.page([ctx.shapes.label(label, repo) for label in repo.labels.values()])


def create_label(ctx: Ctx, owner: str, name: str) -> Response:
    """POST /repos/{owner}/{repo}/labels."""
    repo = ctx.repo(owner, name, "write")
    label_name, color = ctx.field("name") or "", ctx.field("color") or ""
    if not label_name or not COLOR.fullmatch(color):
        raise ApiError(422, "[Name]: Required; [Color]: must be a 6-digit hex colour such as #ee0701")
    label = Label(ctx.state.next_id("label"), label_name, "#" + color.lstrip("#").lower(),
                  ctx.field("description") or "", bool(ctx.field("exclusive", False)))
    repo.labels[label.id] = label
    return ctx.json(ctx.shapes.label(label, repo), 201)


def issue_labels(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/labels."""
    repo = ctx.repo(owner, name)
    return ctx.json([ctx.shapes.label(label, repo) for label in find_issue(repo, number).labels])


def resolve_labels(repo: Repo, wanted: list) -> list[Label]:
    """Labels of `repo` named by id or by name (422 for an unknown one)."""
    found = []
    for item in wanted:
        match = [lb for lb in repo.labels.values() if lb.id == item or (isinstance(item, str) and lb.name == item)]
        if not match:
            raise ApiError(422, f"label does not exist [{item!r}]")
        found.append(match[0])
    return found


def add_labels(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/{number}/labels."""
    repo = ctx.repo(owner, name, "write")
    issue = find_issue(repo, number)
    added = [lb for lb in resolve_labels(repo, list(ctx.field("labels") or [])) if lb not in issue.labels]
    if added:
        issue.labels.extend(added)
        issue.updated = now()
        ctx.emit(repo, issue_event(ctx.shapes, "label_updated", issue, repo, ctx.signed_in()))
    return ctx.json([ctx.shapes.label(label, repo) for label in issue.labels])


def list_dependencies(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """GET /repos/{owner}/{repo}/issues/{number}/dependencies."""
    repo = ctx.repo(owner, name)
    issue = find_issue(repo, number)
    blockers = [(ctx.state.repos[r], ctx.state.repos[r].issues[n]) for r, n in issue.depends_on]
    visible = [(r, i) for r, i in blockers if ctx.state.can(r, ctx.user, "read")]
    return ctx.page([ctx.shapes.issue(i, r) for r, i in visible])


def _blocks(state_repos: dict[str, Repo], start: Issue, target: tuple[str, int]) -> bool:
    """True when `start` already depends (transitively) on `target`."""
    seen, todo = set(), list(start.depends_on)
    while todo:
        key = todo.pop()
        if key == target:
            return True
        if key not in seen:
            seen.add(key)
            todo.extend(state_repos[key[0]].issues[key[1]].depends_on)
    return False


def add_dependency(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """POST /repos/{owner}/{repo}/issues/{number}/dependencies."""
    repo = ctx.repo(owner, name, "write")
    issue = find_issue(repo, number)
    other_name = f"{ctx.field('owner') or owner}/{ctx.field('repo') or name}"
    other_repo = ctx.state.repos.get(other_name)
    if other_repo is None or not ctx.state.can(other_repo, ctx.user, "read"):
        raise ApiError(404, f"repository {other_name} does not exist")
    blocker = find_issue(other_repo, int(ctx.field("index") or 0))
    key = (other_name, blocker.number)
    if blocker is issue or _blocks(ctx.state.repos, blocker, (repo.full_name, issue.number)):
        raise ApiError(422, "circular dependency: the issues would block each other")
    if key not in issue.depends_on:  # the fake treats a repeated dependency as a no-op
        issue.depends_on.append(key)
    return ctx.json(ctx.shapes.issue(issue, repo), 201)


def remove_dependency(ctx: Ctx, owner: str, name: str, number: int) -> Response:
    """DELETE /repos/{owner}/{repo}/issues/{number}/dependencies (the blocker named in the body, as for POST)."""
    repo = ctx.repo(owner, name, "write")
    issue = find_issue(repo, number)
    other_name = f"{ctx.field('owner') or owner}/{ctx.field('repo') or name}"
    key = (other_name, int(ctx.field("index") or 0))
    if key in issue.depends_on:
        issue.depends_on.remove(key)
    return ctx.json(ctx.shapes.issue(issue, repo), 201)  # Gitea answers 201 with the issue here too


ROUTES = [
    Route("GET", R + "/labels", list_labels),
    Route("POST", R + "/labels", create_label),
    Route("GET", R + "/issues/<int:number>/labels", issue_labels),
    Route("POST", R + "/issues/<int:number>/labels", add_labels),
    Route("GET", R + "/issues/<int:number>/dependencies", list_dependencies),
    Route("POST", R + "/issues/<int:number>/dependencies", add_dependency),
    Route("DELETE", R + "/issues/<int:number>/dependencies", remove_dependency),
]
