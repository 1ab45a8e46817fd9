"""GiteaClient against the fake Gitea: contents, commits, diff patches, trees, branches, pull requests."""

from __future__ import annotations

import base64

import pytest

from harness.fake_gitea import FakeGitea
from bot.forge import GiteaClient
from bot.forge.errors import BadRequest, Conflict, ForgeUnavailable, NotFound

REPO = "acme/widget"  # seeded by the `fake` fixture in conftest.py


def test_get_file_at_a_ref(forge: GiteaClient, fake: FakeGitea) -> None:
    first = fake.state.repos[REPO].branches["main"]
    fake.commit(REPO, {"src/app.py": "print('bye')\n"}, message="Say bye")
    assert forge.get_file(REPO, "src/app.py") == b"print('bye')\n"
    assert forge.get_file(REPO, "src/app.py", ref=first) == b"print('hi')\n"
    assert forge.get_file(REPO, "missing.txt") is None
    assert forge.get_file(REPO, "src") is None  # a directory is not a file


def test_get_contents_of_a_file_and_a_directory(forge: GiteaClient) -> None:
    entry = forge.get_contents(REPO, "README.md")
    assert entry["type"] == "file" and base64.b64decode(entry["content"]) == b"# widget\n"
    listing = forge.get_contents(REPO, "")
    assert [(e["name"], e["type"]) for e in listing] == [(".gitea", "dir"), ("README.md", "file"), ("src", "dir")]
    assert [e["path"] for e in forge.get_contents(REPO, ".gitea/workflows", ref="main")] == [
        ".gitea/workflows/ci.yml", ".gitea/workflows/deploy.yml"]


def test_get_tree_merges_pages(forge: GiteaClient, fake: FakeGitea) -> None:
    fake.commit(REPO, {f"data/{n:04}.txt": str(n) for n in range(1000)})
    tree = forge.get_tree(REPO, "main")
    paths = [e["path"] for e in tree["tree"]]
    assert len(paths) == 1000 + 4 + 4 and "data/0999.txt" in paths and "src" in paths
    assert tree["truncated"] is False
    assert len(fake.calls("GET", f"/repos/{REPO}/git/trees/main")) == 2
    top = forge.get_tree(REPO, "main", recursive=False)
    assert sorted(e["path"] for e in top["tree"]) == [".gitea", "README.md", "data", "src"]


def test_change_files_makes_one_commit_on_a_new_branch(forge: GiteaClient, fake: FakeGitea) -> None:
    sha = forge.get_contents(REPO, "src/app.py")["sha"]
    result = forge.change_files(REPO, branch="main", new_branch="teabot/fix/1", message="fix: say bye", files=[
        {"operation": "update", "path": "src/app.py", "content": "print('bye')\n", "sha": sha},
        {"operation": "create", "path": "tests/test_app.py", "content": b"def test(): pass\n"},
        {"operation": "delete", "path": "README.md", "sha": forge.get_contents(REPO, "README.md")["sha"]},
    ], author={"name": "Tea Bot", "email": "teabot@example.com"})
    assert result["commit"]["message"] == "fix: say bye" and result["commit"]["author"]["name"] == "Tea Bot"
    assert [f and f["path"] for f in result["files"]] == ["src/app.py", "tests/test_app.py", None]
    assert forge.get_file(REPO, "src/app.py", ref="teabot/fix/1") == b"print('bye')\n"
    assert forge.get_file(REPO, "README.md", ref="teabot/fix/1") is None
    assert forge.get_file(REPO, "src/app.py") == b"print('hi')\n"  # main is untouched
    assert forge.get_branch(REPO, "teabot/fix/1")["commit"]["id"] == result["commit"]["sha"]
    body = fake.calls("POST", f"/repos/{REPO}/contents")[0].json
    assert body["files"][0]["content"] == base64.b64encode(b"print('bye')\n").decode()


def test_change_files_refuses_a_stale_sha(forge: GiteaClient, fake: FakeGitea) -> None:
    stale = forge.get_contents(REPO, "src/app.py")["sha"]
    fake.commit(REPO, {"src/app.py": "changed meanwhile\n"})
    with pytest.raises(BadRequest, match="sha does not match"):
        forge.change_files(REPO, branch="main", message="x", files=[
            {"operation": "update", "path": "src/app.py", "content": "mine\n", "sha": stale}])


def test_apply_diffpatch(forge: GiteaClient) -> None:
    patch = (
        "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n"
        "@@ -1 +1 @@\n-print('hi')\n+print('hello')\n"
    )
    result = forge.apply_diffpatch(REPO, branch="main", new_branch="teabot/fix/2", message="fix: greet", patch=patch)
    assert result["commit"]["message"] == "fix: greet"
    assert forge.get_file(REPO, "src/app.py", ref="teabot/fix/2") == b"print('hello')\n"
    # services/repository/files/patch.go::ApplyDiffPatch wraps git's refusal in a plain error: a 500
    with pytest.raises(ForgeUnavailable, match="does not apply") as refused:
        forge.apply_diffpatch(REPO, branch="main", message="again", patch=patch.replace("'hi'", "'nope'"))
    assert refused.value.status == 500


def test_branches(forge: GiteaClient) -> None:
    created = forge.create_branch(REPO, "teabot/fix/3", "main")
    assert created["name"] == "teabot/fix/3" and created["user_can_push"] is True
    assert [b["name"] for b in forge.list_branches(REPO)] == ["main", "teabot/fix/3"]
    with pytest.raises(Conflict):
        forge.create_branch(REPO, "teabot/fix/3", "main")
    with pytest.raises(NotFound):
        forge.get_branch(REPO, "nope")


def test_pull_requests(forge: GiteaClient, fake: FakeGitea) -> None:
    fake.add_issue(REPO, "An issue first", author="alice")
    forge.create_branch(REPO, "teabot/fix/4", "main")
    fake.commit(REPO, {"src/app.py": "fixed\n"}, branch="teabot/fix/4")
    pull = forge.create_pull(REPO, head="teabot/fix/4", base="main", title="fix: it", body="Fixes #1")
    assert pull["number"] == 2  # numbers are shared with issues
    assert pull["head"]["ref"] == "teabot/fix/4" and pull["base"]["ref"] == "main" and pull["changed_files"] == 1
    assert forge.get_pull(REPO, 2)["title"] == "fix: it"
    assert forge.edit_pull(REPO, 2, body="Fixes #1 properly")["body"] == "Fixes #1 properly"
    assert forge.find_pull(REPO, "teabot/fix/4")["number"] == 2
    assert forge.find_pull(REPO, "teabot/fix/4", base="main")["number"] == 2
    assert forge.find_pull(REPO, "teabot/fix/4", base="release") is None
    assert forge.find_pull(REPO, "other") is None
    with pytest.raises(Conflict):
        forge.create_pull(REPO, head="teabot/fix/4", base="main", title="again")
    forge.edit_pull(REPO, 2, state="closed")
    assert forge.list_pulls(REPO) == [] and len(forge.list_pulls(REPO, state="closed")) == 1
