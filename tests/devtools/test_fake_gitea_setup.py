"""A set-up script written for a real Gitea runs unchanged against the fake (served over HTTP).

The script uses only Gitea's API as documented (swagger.v1.json) and a site admin's password, the
way an operator scripts a test instance: users, tokens, an organisation, repositories with and
without auto_init, collaborators, settings, contents, issues, labels, hooks and test deliveries.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.fake_gitea import FakeGitea
from tests.devtools.receiver import Receiver

ADMIN, PASSWORD = "root", "root-password"


@pytest.fixture(params=["1.25", "1.26"])
def gitea(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fake started with only a site admin, like `teabot dev fake-gitea --admin root:…`; its base URL."""
    fake = FakeGitea(request.param)
    fake.add_user(ADMIN, admin=True, password=PASSWORD)
    yield fake.start()
    fake.stop()


def api(base: str, **auth: object) -> httpx.Client:
    return httpx.Client(base_url=f"{base}/api/v1", timeout=10, **auth)


def token_for(base: str, login: str, password: str, scopes: list[str]) -> str:
    """POST /users/{u}/tokens with basic auth, as Gitea requires."""
    with api(base, auth=(login, password)) as http:
        response = http.post(f"/users/{login}/tokens", json={"name": "-".join(scopes), "scopes": scopes})
        response.raise_for_status()
        return response.json()["sha1"]


def setup(base: str, hook_url: str) -> dict[str, str]:
    """The scenario: org acme, repos acme/widget (initialised) and acme/empty, bot as Admin collaborator."""
    with api(base, auth=(ADMIN, PASSWORD)) as admin:
        for login in ("teabot", "alice"):
            admin.post("/admin/users", json={"username": login, "email": f"{login}@example.org",
                                             "password": f"{login}-pw", "must_change_password": False}).raise_for_status()
        admin.post("/orgs", json={"username": "acme"}).raise_for_status()
        admin.post("/admin/users/acme/repos", json={"name": "widget", "auto_init": True}).raise_for_status()
        admin.post("/admin/users/acme/repos", json={"name": "empty"}).raise_for_status()
        admin.put("/repos/acme/widget/collaborators/teabot", json={"permission": "admin"}).raise_for_status()
        admin.patch("/repos/acme/widget", json={"internal_tracker": {"enable_issue_dependencies": False}}
                    ).raise_for_status()
        content = base64.b64encode(b"on: [push]\njobs: {}\n").decode()
        admin.post("/repos/acme/widget/contents", json={"branch": "main", "message": "CI", "files": [
            {"operation": "create", "path": ".github/workflows/ci.yml", "content": content}]}).raise_for_status()
        label = admin.post("/repos/acme/widget/labels", json={"name": "kind/bug", "color": "#ee0701"}).json()
        admin.post("/repos/acme/widget/issues", json={"title": "Broken", "labels": [label["id"]]}).raise_for_status()
        hook = admin.post("/repos/acme/widget/hooks", json={
            "type": "gitea", "active": True, "events": ["push", "issues"],
            "config": {"url": hook_url, "content_type": "json", "secret": "s3cret"}}).json()
        admin.post(f"/repos/acme/widget/hooks/{hook['id']}/tests").raise_for_status()
    bot = token_for(base, "teabot", "teabot-pw", ["write:repository", "write:issue", "read:user"])
    return {"bot": bot, "hook": str(hook["id"])}


def received(receiver: Receiver, count: int, timeout: float = 10.0) -> list[tuple[str, dict]]:
    deadline = time.monotonic() + timeout
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return receiver.events()


def test_a_real_gitea_setup_script_runs_unchanged(gitea: str, receiver: Receiver) -> None:
    ids = setup(gitea, receiver.url)
    events = received(receiver, 1)
    assert [name for name, _ in events] == ["push"]  # the hook test delivery: the head commit, before = after
    assert events[0][1]["before"] == events[0][1]["after"]
    with api(gitea, headers={"Authorization": f"token {ids['bot']}"}) as bot:
        repo = bot.get("/repos/acme/widget").json()
        assert repo["permissions"] == {"admin": True, "push": True, "pull": True}
        assert repo["internal_tracker"]["enable_issue_dependencies"] is False
        assert bot.get("/repos/acme/widget/collaborators/teabot/permission").json()["permission"] == "admin"
        assert bot.get("/repos/acme/widget/issues/1/dependencies").status_code == 404  # feature off
        assert [w["path"] for w in bot.get("/repos/acme/widget/actions/workflows").json()["workflows"]] == [
            ".github/workflows/ci.yml"]
        empty = bot.get("/repos/acme/empty").json()
        assert (empty["empty"], empty["default_branch"]) == (True, "main")
        assert bot.get("/repos/acme/empty/branches/main").status_code == 404
        assert bot.get("/repos/acme/empty/branches").json() is None
        assert bot.get("/repos/acme/empty/contents").status_code == 404
        assert bot.get("/orgs/acme/hooks").status_code == 403  # organisation hooks need an org owner


def test_tokens_need_basic_auth_and_carry_their_scopes(gitea: str) -> None:
    with api(gitea, auth=(ADMIN, PASSWORD)) as admin:
        admin.post("/admin/users", json={"username": "bob", "email": "b@example.org", "password": "bob-pw"}
                   ).raise_for_status()
        admin.post("/user/repos", json={"name": "tools", "auto_init": True}).raise_for_status()
    reader = token_for(gitea, "bob", "bob-pw", ["read:repository"])
    with api(gitea, headers={"Authorization": f"token {reader}"}) as http:
        assert http.post("/users/bob/tokens", json={"name": "x", "scopes": ["all"]}).status_code == 403  # scope first
    full = token_for(gitea, "bob", "bob-pw", ["all"])
    with api(gitea, headers={"Authorization": f"token {full}"}) as http:
        assert http.post("/users/bob/tokens", json={"name": "x", "scopes": ["all"]}).json()["message"] == \
            "auth required"  # reqBasicOrRevProxyAuth: a token may not make tokens
    with api(gitea, headers={"Authorization": f"token {reader}"}) as http:
        assert http.get(f"/repos/{ADMIN}/tools").status_code == 200
        denied = http.get(f"/repos/{ADMIN}/tools/issues")
        assert denied.status_code == 403 and "required scope" in denied.json()["message"]
        assert http.get("/user").status_code == 403  # read:user missing
    with api(gitea, auth=("bob", "wrong")) as http:
        assert http.get("/user").status_code == 401
    with api(gitea, auth=("bob", "bob-pw")) as http:
        bad = http.post("/users/bob/tokens", json={"name": "y", "scopes": ["write:everything"]})
        assert bad.status_code == 400
        assert http.post("/admin/users", json={"username": "eve", "email": "e@x", "password": "p"}).status_code == 403
