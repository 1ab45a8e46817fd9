"""Contract: every API route of the fake Gitea answers with bodies that match Gitea's own description.

Each route is called, matched to its operation in ../shared/reference/gitea/swagger.v1.json (re-run
routes: swagger.actions-newer.excerpt.json) by method and path template, and its body validated
against the response schema of the status it returned. Gitea's schemas declare no `required` and
allow anything extra, which would make this vacuous, so the schemas are tightened here:
- every declared property must be present (except those Gitea omits, listed in OMITTED);
- no undeclared property may appear (except those Gitea adds outside its description, in EXTRA);
- null is allowed only where Gitea's Go type is a pointer, slice or map (objects, arrays, times,
  and the scalars in NULLABLE); date-time strings must be RFC 3339.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from harness.fake_gitea import FakeGitea
from harness.fake_gitea.server import ROUTES

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "gitea"
REPO = "acme/widget"
R = f"/repos/{REPO}"

# Properties Gitea leaves out of its JSON (`omitempty`), so the fake may too.
OMITTED = {
    # services/convert/repository.go::innerToRepo @v1.25.4: omitempty pointers; internal_tracker is nil
    # while the issues unit is off
    "Repository": {"parent", "repo_transfer", "external_tracker", "external_wiki", "internal_tracker"},
    # modules/structs/repo_actions.go @v1.25.4: omitempty fields, absent when empty
    "ActionWorkflowRun": {"head_branch", "conclusion", "head_repository", "repository_id", "actor", "trigger_actor",
                          "repository"},
    "ActionWorkflowJob": {"head_branch", "conclusion", "runner_id", "runner_name"},
    "ActionWorkflowStep": {"conclusion"},
    # modules/structs/repo_file.go @v1.25.4: omitempty pointers that GetContents/ChangeFiles leave nil
    # (IncludeCommitMessage is off; lfs_* only for an LFS pointer file)
    "ContentsResponse": {"last_commit_message", "lfs_oid", "lfs_size"},
    # modules/structs/pull.go @v1.25.4: review_comments is an omitempty int; the counts are omitempty
    # pointers that services/convert/pull.go::ToAPIPullRequests (the list) never sets
    "PullRequest": {"review_comments", "additions", "deletions", "changed_files"},
}
# Fields the 1.27-based excerpt adds that the fake (serving 1.25 shapes) does not send.
OMITTED_NEWER = {
    "ActionWorkflowRun": OMITTED["ActionWorkflowRun"] | {"previous_attempt_url", "pull_requests"},
    "Repository": OMITTED["Repository"] | {"mirror_last_sync_at", "default_target_branch", "default_update_style",
                                           "branch_count", "allow_merge_update"},
}
# Properties Gitea sends but does not declare: User.MarshalJSON adds "username" (see the example deliveries).
EXTRA = {"User": {"username": {"type": "string"}}}
# Scalars that are Go pointers in Gitea's structs, hence may be null.
NULLABLE = {
    "PullRequest": {"merge_commit_sha"},
    "ContentsResponse": {"encoding", "content", "target", "download_url", "submodule_git_url", "lfs_oid", "lfs_size"},
}
# Arrays of Go pointers that may hold null: a deleted file's entry in FilesResponse.files.
NULLABLE_ITEMS = {"FilesResponse": {"files"}}
NON_API = {"GET /attachments/<uuid>"}  # web route for attachment downloads, not part of /api/v1
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def spec_file(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared Gitea API description sits beside the repository (../shared)")
    return path


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads(spec_file(name).read_text(encoding="utf-8"))


def tighten(name: str, schema: dict[str, Any], omitted: dict[str, set[str]]) -> dict[str, Any]:
    """A definition with `required`, no extra properties, and null only where Go allows it."""
    schema = copy.deepcopy(schema)
    props = schema.get("properties")
    if schema.get("type") != "object" or not props:
        return schema
    props.update(copy.deepcopy(EXTRA.get(name, {})))
    for key, prop in props.items():
        if key in NULLABLE_ITEMS.get(name, ()):
            prop["items"] = {"anyOf": [prop["items"], {"type": "null"}]}
        nullable = ("$ref" in prop or prop.get("type") in ("array", "object") or prop.get("format") == "date-time"
                    or prop.get("x-nullable") or key in NULLABLE.get(name, ()))
        if nullable:
            props[key] = {"anyOf": [prop, {"type": "null"}]}
    schema["required"] = sorted(set(props) - omitted.get(name, set()))
    schema["additionalProperties"] = False
    return schema


@cache
def root(name: str) -> dict[str, Any]:
    """The description's definitions, tightened, as one schema document."""
    omitted = {**OMITTED, **(OMITTED_NEWER if "newer" in name else {})}
    definitions = {k: tighten(k, v, omitted) for k, v in load(name)["definitions"].items()}
    return {"definitions": definitions}


def template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join((".+" if p == "{filepath}" else "[^/]+") if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(pattern + "$")


def operation(name: str, method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The swagger operation serving `method path` (the template with most literal text wins)."""
    candidates = [(t, ops[method.lower()]) for t, ops in load(name)["paths"].items()
                  if method.lower() in ops and template_regex(t).match(path)]
    assert candidates, f"{method} {path} is not in {name}"
    return max(candidates, key=lambda c: len(re.sub(r"\{[^}]+\}", "", c[0])))


# Where Gitea's code answers with another status than its swagger says: (operation, real status) -> documented one.
# routers/api/v1/repo/issue_dependency.go `RemoveIssueDependency` (v1.25.4) answers StatusCreated with the issue;
# routers/api/v1/repo/patch.go::ApplyDiffPatch (v1.25.4) answers StatusCreated with the FileResponse.
CODE_WINS = {("issueRemoveIssueDependencies", 201): 200, ("repoApplyDiffPatch", 201): 200}


def response_schema(name: str, op: dict[str, Any], status: int) -> dict[str, Any] | None:
    status = CODE_WINS.get((op["operationId"], status), status)
    spec = op["responses"].get(str(status))
    assert spec is not None, f"status {status} is not documented for {op['operationId']}"
    if "$ref" in spec:
        spec = load(name)["responses"][spec["$ref"].rsplit("/", 1)[1]]
    return spec.get("schema")


def validate(name: str, schema: dict[str, Any], body: Any) -> None:
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(lambda value: not isinstance(value, str) or bool(RFC3339.match(value)))
    validator = jsonschema.Draft4Validator({**root(name), **schema}, format_checker=checker)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture(scope="module")
def world() -> tuple[FakeGitea, httpx.Client, dict[str, Any]]:
    """A fake with one of everything, and a site admin's client."""
    fake = FakeGitea("1.26.1", webhook_transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    fake.add_user("alice", "alice-token", admin=True, password="alice-pw")
    fake.add_user("teabot", "bot-token")
    fake.add_repo(REPO, files={"README.md": "# w\n", "src/app.py": "x = 1\n", ".gitea/workflows/ci.yml": "on: push\n"})
    ids: dict[str, Any] = {"issue": fake.add_issue(REPO, "Epic", "body", author="alice", labels=["kind/epic"])}
    ids["blocker"] = fake.add_issue(REPO, "Enabler", author="teabot")
    ids["pull"] = fake.add_issue(REPO, "A PR", author="teabot", is_pull=True, head="feature")
    ids["comment"] = fake.add_comment(REPO, ids["issue"], "/plan", author="alice")
    fake.add_reaction(REPO, "+1", author="teabot", comment_id=ids["comment"])
    fake.add_reaction(REPO, "heart", author="teabot", number=ids["issue"])
    fake.add_attachment(REPO, ids["issue"], "prd.md", "# PRD\n")
    ids["label"] = fake.add_label(REPO, "type/story")
    ids["run"] = fake.add_run(REPO, conclusion="failure", jobs=[{"name": "test", "conclusion": "failure", "log": "x"}])
    ids["run2"] = fake.add_run(REPO, conclusion="failure")
    ids["job"] = fake.state.repos[REPO].runs[ids["run"]].jobs[0].id
    ids["hook"] = fake.add_hook(REPO, "http://127.0.0.1:9/hook", "s", ["issues"])
    ids["gone"] = fake.add_hook(REPO, "http://127.0.0.1:9/old", "s", ["push"])
    fake.state.add_user("acme-org", is_org=True)
    ids["org_hook"] = fake.add_org_hook("acme-org", "http://127.0.0.1:9/org", "s", ["issues"])
    ids["org_gone"] = fake.add_org_hook("acme-org", "http://127.0.0.1:9/org-old", "s", ["issues"])
    ids["sha"] = fake.state.repos[REPO].branches["main"]
    ids["blob"] = fake.state.repos[REPO].commits[ids["sha"]].files
    client = httpx.Client(base_url=fake.api_url, transport=httpx.WSGITransport(app=fake.app),
                          headers={"Authorization": "token alice-token"})
    return fake, client, ids


def cases(ids: dict[str, Any]) -> list[tuple[str, str, Any, int]]:
    """(method, path, JSON body, expected status) for every API route, errors included."""
    from harness.fake_gitea.git import blob_sha

    n, c, pr, run, job = ids["issue"], ids["comment"], ids["pull"], ids["run"], ids["job"]
    return [
        ("GET", "/version", None, 200), ("GET", "/user", None, 200), ("GET", R, None, 200),
        ("GET", f"{R}/collaborators/teabot/permission", None, 200),
        ("GET", f"{R}/issues?state=all&limit=2", None, 200), ("GET", f"{R}/issues/{n}", None, 200),
        ("POST", f"{R}/issues", {"title": "New", "labels": [ids["label"]], "assignees": ["teabot"]}, 201),
        ("PATCH", f"{R}/issues/{n}", {"body": "edited", "assignees": ["alice"]}, 201),
        ("GET", f"{R}/issues/{n}/comments", None, 200), ("POST", f"{R}/issues/{n}/comments", {"body": "hi"}, 201),
        ("GET", f"{R}/issues/comments/{c}", None, 200), ("PATCH", f"{R}/issues/comments/{c}", {"body": "e"}, 200),
        ("GET", f"{R}/issues/{n}/reactions", None, 200), ("GET", f"{R}/issues/comments/{c}/reactions", None, 200),
        ("POST", f"{R}/issues/comments/{c}/reactions", {"content": "eyes"}, 201),
        ("GET", f"{R}/issues/{n}/assets", None, 200),
        ("GET", f"{R}/labels", None, 200), ("POST", f"{R}/labels", {"name": "x", "color": "#00aabb"}, 201),
        ("GET", f"{R}/issues/{n}/labels", None, 200), ("POST", f"{R}/issues/{n}/labels", {"labels": ["x"]}, 200),
        ("POST", f"{R}/issues/{n}/dependencies", {"owner": "acme", "repo": "widget", "index": ids["blocker"]}, 201),
        ("GET", f"{R}/issues/{n}/dependencies", None, 200),
        ("DELETE", f"{R}/issues/{n}/dependencies", {"owner": "acme", "repo": "widget", "index": ids["blocker"]}, 201),
        ("GET", f"{R}/contents", None, 200), ("GET", f"{R}/contents/src/app.py?ref=main", None, 200),
        ("POST", f"{R}/contents", {"branch": "main", "new_branch": "b1", "message": "m", "files": [
            {"operation": "update", "path": "src/app.py", "content": "eCA9IDIK",
             "sha": blob_sha(ids["blob"]["src/app.py"])},
            {"operation": "delete", "path": "README.md", "sha": blob_sha(ids["blob"]["README.md"])}]}, 201),
        ("POST", f"{R}/diffpatch", {"branch": "main", "new_branch": "b2", "message": "p",
                                    "content": "--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 3\n"}, 201),
        ("GET", f"{R}/git/trees/main?recursive=true", None, 200),
        ("GET", f"{R}/branches", None, 200), ("GET", f"{R}/branches/main", None, 200),
        ("POST", f"{R}/branches", {"new_branch_name": "b3", "old_ref_name": "main"}, 201),
        ("GET", f"{R}/pulls?state=all", None, 200), ("GET", f"{R}/pulls/{pr}", None, 200),
        ("POST", f"{R}/pulls", {"head": "b1", "base": "main", "title": "PR"}, 201),
        ("PATCH", f"{R}/pulls/{pr}", {"title": "Renamed"}, 201),
        ("GET", f"{R}/actions/runs?status=failure", None, 200), ("GET", f"{R}/actions/runs/{run}", None, 200),
        ("GET", f"{R}/actions/runs/{run}/jobs", None, 200), ("GET", f"{R}/actions/jobs/{job}", None, 200),
        ("GET", f"{R}/actions/jobs/{job}/logs", None, 200), ("GET", f"{R}/actions/workflows", None, 200),
        ("POST", f"{R}/actions/workflows/ci.yml/dispatches", {"ref": "main", "inputs": {"a": "1"}}, 204),
        ("POST", f"{R}/actions/runs/{run}/rerun-failed-jobs", None, 201),
        ("POST", f"{R}/actions/runs/{ids['run2']}/rerun", None, 201),
        ("GET", f"{R}/statuses/{ids['sha']}", None, 200),
        ("POST", f"{R}/statuses/{ids['sha']}", {"state": "failure", "context": "ci"}, 201),
        ("PUT", f"{R}/actions/secrets/TEABOT_HANDOVER_TOKEN", {"data": "t1"}, 201),
        ("PUT", f"{R}/actions/secrets/teabot_handover_token", {"data": "t2", "description": "d"}, 204),
        ("PUT", f"{R}/actions/secrets/GITEA_TOKEN", {"data": "t"}, 400),
        ("GET", f"{R}/hooks", None, 200), ("GET", f"{R}/hooks/{ids['hook']}", None, 200),
        ("POST", f"{R}/hooks", {"type": "gitea", "config": {"url": "http://127.0.0.1:9/h", "content_type": "json"},
                                "events": ["issues"], "active": True}, 201),
        ("PATCH", f"{R}/hooks/{ids['hook']}", {"active": False}, 200),
        ("POST", f"{R}/hooks/{ids['hook']}/tests", None, 204), ("DELETE", f"{R}/hooks/{ids['gone']}", None, 204),
        ("GET", "/orgs/acme-org/hooks", None, 200), ("GET", f"/orgs/acme-org/hooks/{ids['org_hook']}", None, 200),
        ("POST", "/orgs/acme-org/hooks", {"type": "gitea", "config": {"url": "http://127.0.0.1:9/o",
                                                                       "content_type": "json"}}, 201),
        ("PATCH", f"/orgs/acme-org/hooks/{ids['org_hook']}", {"events": ["issues"]}, 200),
        ("DELETE", f"/orgs/acme-org/hooks/{ids['org_gone']}", None, 204),
        ("GET", f"{R}/actions/tasks", None, 200),
        ("POST", "/admin/users", {"username": "carol", "email": "c@example.org", "password": "pw"}, 201),
        ("POST", "/orgs", {"username": "newco"}, 201),
        ("POST", "/user/repos", {"name": "mine", "auto_init": True}, 201),
        ("POST", "/admin/users/carol/repos", {"name": "blank"}, 201),
        ("POST", "/orgs/newco/repos", {"name": "tools"}, 201),
        ("PUT", f"{R}/collaborators/teabot", {"permission": "admin"}, 204),
        ("PATCH", R, {"has_issues": True, "internal_tracker": {"enable_issue_dependencies": True}}, 200),
        ("GET", f"{R}/issues/999", None, 404), ("POST", f"{R}/labels", {"name": ""}, 422),
        ("POST", f"{R}/branches", {"new_branch_name": "main"}, 409),
    ]


def spec_for(path: str) -> str:
    return "swagger.actions-newer.excerpt.json" if "/rerun" in path else "swagger.v1.json"


def test_every_route_answers_per_the_api_description(world: tuple[FakeGitea, httpx.Client, dict[str, Any]]) -> None:
    fake, client, ids = world
    for method, path, body, status in cases(ids):
        response = client.request(method, path, json=body)
        if path.endswith("/tokens"):
            continue
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text[:300]}"
        name = spec_for(path)
        _, op = operation(name, method, path.split("?")[0])
        if status >= 400:
            validate(name, {"$ref": "#/definitions/APIError"}, response.json())
            continue
        schema = response_schema(name, op, status)
        if schema is None:
            assert response.content == b"" or response.headers["content-type"].startswith("text/plain"), path
            continue
        assert response.headers["content-type"].startswith("application/json"), path
        try:
            validate(name, schema, response.json())
        except AssertionError as exc:
            raise AssertionError(f"{method} {path} ({op['operationId']}):\n{exc}") from None


def test_the_cases_cover_every_route_the_fake_serves(world: tuple[FakeGitea, httpx.Client, dict[str, Any]]) -> None:
    fake, _, ids = world
    adapter = fake.app.url_map.bind("gitea.test")
    covered = {adapter.match("/api/v1" + path.split("?")[0], method)[0] for method, path, _, _ in cases(ids)}
    covered.add("POST /users/<login>/tokens")  # basic auth only: test_token_route_answers_per_the_api_description
    served = {f"{r.method} {r.rule}" for r in ROUTES if f"{r.method} {r.prefix}{r.rule}" not in NON_API}
    assert served - covered == set()


def test_lists_carry_giteas_pagination_headers(world: tuple[FakeGitea, httpx.Client, dict[str, Any]]) -> None:
    _, client, _ = world
    response = client.get(f"{R}/issues", params={"state": "all", "limit": 1, "page": 2})
    total = int(response.headers["X-Total-Count"])
    assert total >= 3 and len(response.json()) == 1
    links = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])}
    assert set(links) == {"next", "last", "first", "prev"}
    assert "page=3" in links["next"] and f"page={total}" in links["last"] and "state=all" in links["next"]


def test_tightened_schemas_reject_what_gitea_would_not_send() -> None:
    spec_file("swagger.v1.json")
    label = {"id": 1, "name": "x", "exclusive": False, "is_archived": False, "color": "ee0701",
             "description": "", "url": "u"}
    validate("swagger.v1.json", {"$ref": "#/definitions/Label"}, label)
    for broken in ({**label, "colour": "x"}, {k: v for k, v in label.items() if k != "url"}, {**label, "id": "1"},
                   {**label, "name": None}):
        with pytest.raises(AssertionError):
            validate("swagger.v1.json", {"$ref": "#/definitions/Label"}, broken)
    with pytest.raises(AssertionError):
        validate("swagger.v1.json", {"$ref": "#/definitions/Comment"},
                 {"id": 1, "created_at": "yesterday"})


def test_token_route_answers_per_the_api_description(world: tuple[FakeGitea, httpx.Client, dict[str, Any]]) -> None:
    fake, _, _ = world
    with httpx.Client(base_url=fake.api_url, transport=httpx.WSGITransport(app=fake.app),
                      auth=("alice", "alice-pw")) as client:
        response = client.post("/users/alice/tokens", json={"name": "ci", "scopes": ["write:repository"]})
    assert response.status_code == 201
    _, op = operation("swagger.v1.json", "POST", "/users/alice/tokens")
    validate("swagger.v1.json", response_schema("swagger.v1.json", op, 201), response.json())
