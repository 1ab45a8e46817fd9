"""Every route the fake Gitea serves names the Gitea source it imitates, so no route is added uncited."""

from __future__ import annotations

import inspect
import re

import pytest

from harness.fake_gitea import FakeGitea
from harness.fake_gitea.app import Route

# A Gitea Go file and function at a tag, e.g. "routers/api/v1/repo/issue.go::ListIssues @v1.25.4".
CITATION = re.compile(r"\b(routers|services|models|modules)/[\w/]+\.go::\w+.*?@v\d+\.\d+")


def _routes() -> list[Route]:
    return list(FakeGitea().app.routes.values())


def test_every_registered_route_is_walked() -> None:
    routes = _routes()
    assert len(routes) > 60
    assert {"GET /repos/<owner>/<name>/issues", "POST /repos/<owner>/<name>/contents"} <= set(FakeGitea().app.routes)


@pytest.mark.parametrize("route", _routes(), ids=lambda r: f"{r.method} {r.rule}")
def test_route_handler_cites_its_gitea_source(route: Route) -> None:
    doc = inspect.getdoc(route.handler) or ""
    assert CITATION.search(doc), (
        f"{route.handler.__module__}.{route.handler.__name__} ({route.method} {route.rule}) names no Gitea source: "
        "read the real handler and cite it in the docstring as 'routers/…/file.go::Function @v1.25.4'")


@pytest.mark.parametrize("doc", ["GET /x.", "GET /x (action.go `ListRuns`).", "see routers/api/v1/api.go"])
def test_vague_references_do_not_count(doc: str) -> None:
    assert not CITATION.search(doc)
