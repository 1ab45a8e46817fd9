"""teabot's capability detection against every version profile of the fake Gitea.

Each flag of `Capabilities` is checked against what the fake, playing that release, actually does,
with the bot as a repository Admin collaborator (not the owner).
"""

from __future__ import annotations

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_gitea import FakeGitea
from harness.fake_gitea.profiles import PROFILES
from bot.forge import GiteaClient, make_forge
from bot.forge.errors import RunsListForbidden, Unsupported

REPO = "acme/widget"


@pytest.fixture(params=sorted(PROFILES))
def world(request: pytest.FixtureRequest) -> tuple[FakeGitea, GiteaClient]:
    """A fake playing one release; teabot is an Admin collaborator of acme/widget."""
    fake = FakeGitea(request.param, webhook_transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    fake.add_user("teabot", "bot-token")
    fake.add_repo(REPO, files={".gitea/workflows/ci.yml": "on: [push, workflow_dispatch]\n"})
    fake.set_permission(REPO, "teabot", "admin")
    forge = make_forge(Settings(gitea_url=fake.url, gitea_token="bot-token"),
                       transport=httpx.WSGITransport(app=fake.app))
    forge.transport.sleep = lambda seconds: None
    return fake, forge


def test_runs_list_access_matches_the_profile(world: tuple[FakeGitea, GiteaClient]) -> None:
    fake, forge = world
    caps = forge.capabilities()
    fake.add_run(REPO, conclusion="failure")
    if not caps.runs_api:
        with pytest.raises(Unsupported):
            forge.list_runs(REPO)
    elif caps.runs_list_needs_owner:
        with pytest.raises(RunsListForbidden, match="only the repository owner or a site admin"):
            forge.list_runs(REPO)
    else:
        assert [r["conclusion"] for r in forge.list_runs(REPO)] == ["failure"]
    summaries = forge.run_summaries(REPO) if caps.runs_api else []
    assert all(s["conclusion"] == "failure" for s in summaries)


def test_rerun_semantics_match_the_profile(world: tuple[FakeGitea, GiteaClient]) -> None:
    fake, forge = world
    caps = forge.capabilities()
    run_id = fake.add_run(REPO, conclusion="failure", jobs=[{"name": "test", "conclusion": "failure"}])
    if not caps.rerun:
        with pytest.raises(Unsupported):
            forge.rerun_failed_jobs(REPO, run_id)
        return
    forge.rerun_failed_jobs(REPO, run_id)
    fake.complete_run(REPO, run_id, "failure")
    again = forge.get_run(REPO, run_id)
    assert caps.rerun_keeps_run_id and again["id"] == run_id
    assert again["run_attempt"] == (2 if caps.run_attempt_counts else 0)
    assert forge.list_run_jobs(REPO, run_id)[0]["run_attempt"] == 2  # jobs count attempts everywhere


def test_job_logs_and_dispatch_match_the_profile(world: tuple[FakeGitea, GiteaClient]) -> None:
    fake, forge = world
    caps = forge.capabilities()
    run_id = fake.add_run(REPO, conclusion="failure", jobs=[{"name": "test", "log": "boom\n"}])
    job_id = fake.state.repos[REPO].runs[run_id].jobs[0].id
    assert caps.job_logs and b"boom" in b"".join(forge.job_log(REPO, job_id))
    forge.dispatch_workflow(REPO, "ci.yml", "main")
    assert fake.dispatches(REPO)[0]["ref"] == "main"


def test_workflow_webhooks_match_the_profile(world: tuple[FakeGitea, GiteaClient]) -> None:
    fake, forge = world
    caps = forge.capabilities()
    fake.add_hook(REPO, "http://teabot.test/webhook", "s", ["workflow_run", "workflow_job"])
    run_id = fake.add_run(REPO, workflow="gone.yml")  # not on the default branch
    fake.complete_run(REPO, run_id, "failure")
    fake.add_run(REPO, workflow="ci.yml", conclusion="failure")
    fake.complete_run(REPO, run_id, "failure")
    sent = {(d.event, d.payload.get(d.event, {}).get("path", "").split("@")[0]) for d in fake.wait_deliveries()}
    assert any(e == "workflow_job" for e, _ in sent) == caps.workflow_job
    assert (("workflow_run", "gone.yml") in sent) == (caps.workflow_run and caps.workflow_run_always_sent)


def test_dependency_list_headers_match_the_profile(world: tuple[FakeGitea, GiteaClient]) -> None:
    fake, forge = world
    caps = forge.capabilities()
    epic = fake.add_issue(REPO, "Epic", author="teabot")
    for index in range(55):
        blocker = fake.add_issue(REPO, f"Story {index}", author="teabot")
        fake.add_dependency(REPO, epic, blocker)
    response = forge.http.get(f"/repos/{REPO}/issues/{epic}/dependencies", params={"limit": 50})
    assert ("Link" in response.headers) == caps.dependency_list_headers
    assert len(forge.list_dependencies(REPO, epic)) == 55  # full pages are followed without headers too
