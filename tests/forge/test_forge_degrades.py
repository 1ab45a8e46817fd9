"""How the client copes with real Gitea's rough edges: empty repositories, dependency switches,
.github workflows and attachment URLs built from another ROOT_URL."""

from __future__ import annotations

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_gitea import FakeGitea
from bot.forge import GiteaClient, make_forge
from bot.forge.compat import attachment_url, pull_number, run_ref, runs_from_tasks
from bot.forge.errors import DependenciesDisabled, EmptyRepository, NotFound
from tests.forge.conftest import BOT_TOKEN, REPO


def test_an_empty_repository_is_not_a_missing_one(forge: GiteaClient, fake: FakeGitea) -> None:
    fake.state.add_repo("acme/new", empty=True)
    with pytest.raises(EmptyRepository, match="no commits yet"):
        forge.get_branch("acme/new", "main")
    with pytest.raises(EmptyRepository):
        forge.get_tree("acme/new", "main")
    assert forge.get_file("acme/new", "README.md") is None
    assert forge.list_branches("acme/new") == []  # Gitea answers JSON null
    with pytest.raises(NotFound) as missing:
        forge.get_branch(REPO, "nope")
    assert not isinstance(missing.value, EmptyRepository)


def test_dependencies_switched_off_are_reported_as_such(forge: GiteaClient, fake: FakeGitea) -> None:
    a, b = (fake.add_issue(REPO, title, author="alice") for title in ("A", "B"))
    fake.state.repos[REPO].enable_dependencies = False
    with pytest.raises(DependenciesDisabled, match="Enable dependencies"):
        forge.add_dependency(REPO, a, b)


def test_an_issue_tracker_switched_off_is_reported_without_internal_tracker(forge: GiteaClient,
                                                                            fake: FakeGitea) -> None:
    a, b = (fake.add_issue(REPO, title, author="alice") for title in ("A", "B"))
    fake.state.repos[REPO].has_issues = False
    assert "internal_tracker" not in forge.get_repo(REPO)  # convert/repository.go: nil without the issues unit
    with pytest.raises(DependenciesDisabled, match="Enable dependencies"):
        forge.add_dependency(REPO, a, b)


def test_a_three_issue_cycle_is_accepted_like_gitea_does(forge: GiteaClient, fake: FakeGitea) -> None:
    a, b, c = (fake.add_issue(REPO, title, author="alice") for title in "ABC")
    forge.add_dependency(REPO, a, b)
    forge.add_dependency(REPO, b, c)
    forge.add_dependency(REPO, c, a)  # models/issues/dependency.go checks only the direct reverse pair
    assert [d["number"] for d in forge.list_dependencies(REPO, c)] == [a]


def test_workflow_files_fall_back_to_github_workflows(forge: GiteaClient, fake: FakeGitea) -> None:
    fake.add_repo("acme/gh", files={".github/workflows/ci.yml": "on: [push]\n"})
    assert forge.get_workflow_file("acme/gh", "ci.yml") == b"on: [push]\n"
    assert [w["path"] for w in forge.list_workflows("acme/gh")] == [".github/workflows/ci.yml"]
    assert forge.get_workflow_file(REPO, "ci.yml") == b"on: [push]\n"


def test_attachments_from_another_root_url_are_fetched_from_the_configured_server() -> None:
    fake = FakeGitea("1.25", root_url="https://git.example.org/")
    fake.add_user("teabot", BOT_TOKEN)
    fake.add_repo(REPO)
    number = fake.add_issue(REPO, "PRD", author="teabot")
    url = fake.add_attachment(REPO, number, "prd.md", "# PRD\n")
    forge = make_forge(Settings(gitea_url="http://gitea.test", gitea_token=BOT_TOKEN),
                       transport=httpx.WSGITransport(app=fake.app))
    [asset] = forge.list_issue_attachments(REPO, number)
    assert asset["browser_download_url"].startswith("https://git.example.org/attachments/")
    assert forge.download(asset["browser_download_url"]) == b"# PRD\n"
    assert url.startswith("http://gitea.test")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://git.example.org/attachments/0b8f3c1e-3f5d-4f55-9a5e-1d2b3c4d5e6f",
     "http://gitea.test/sub/attachments/0b8f3c1e-3f5d-4f55-9a5e-1d2b3c4d5e6f"),
    ("/attachments/x", "http://gitea.test/sub/attachments/x"),
    ("https://evil.example/steal", "https://evil.example/steal"),
])
def test_attachment_url(url: str, expected: str) -> None:
    assert str(attachment_url(url, httpx.URL("http://gitea.test/sub/api/v1/"))) == expected


def test_runs_from_tasks_summarise_runs_without_ids() -> None:
    tasks = [{"run_number": 2, "name": "test", "status": "failure", "head_sha": "b", "head_branch": "#7",
              "event": "pull_request", "workflow_id": "ci.yml", "url": "u2"},
             {"run_number": 2, "name": "lint", "status": "success", "head_sha": "b", "head_branch": "#7"},
             {"run_number": 1, "name": "test", "status": "running", "head_sha": "a", "head_branch": "main"}]
    two, one = runs_from_tasks(tasks)
    assert (two["status"], two["conclusion"], "head_branch" in two, "id" in two) == ("completed", "failure", False, False)
    assert (one["status"], one["head_branch"], "conclusion" in one) == ("in_progress", "main", False)
    assert runs_from_tasks(tasks, head_sha="a") == [one]


@pytest.mark.parametrize(("run", "ref", "number"), [
    ({"path": "ci.yml@refs/pull/7/head", "event": "pull_request"}, "refs/pull/7/head", 7),
    ({"path": "ci.yml@refs/heads/main", "head_branch": "main"}, "refs/heads/main", None),
    ({"head_branch": "fix"}, "refs/heads/fix", None),
    ({}, "", None),
])
def test_run_ref_and_pull_number(run: dict, ref: str, number: int | None) -> None:
    assert (run_ref(run), pull_number(run)) == (ref, number)


def test_a_pull_request_run_names_its_pull_through_the_api(forge: GiteaClient, fake: FakeGitea) -> None:
    number = fake.add_issue(REPO, "Fix", author="alice", is_pull=True, head="teabot/fix-1")
    run_id = fake.add_run(REPO, event="pull_request", head_branch="teabot/fix-1", conclusion="failure")
    run = forge.get_run(REPO, run_id)
    assert "head_branch" not in run and "conclusion" in run
    assert forge.get_pull(REPO, pull_number(run))["head"]["ref"] == "teabot/fix-1"
    assert forge.list_runs(REPO, branch="teabot/fix-1") == []  # the branch filter matches refs/heads/ only
