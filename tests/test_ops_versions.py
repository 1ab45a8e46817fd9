"""`teabot check` and `setup-hook` per Gitea release, with the bot as an Admin collaborator (not the owner)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_gitea import FakeGitea
from bot.forge import make_forge
from bot.cli.checks import Level, run_checks, setup_hook

URL = "https://teabot.example.org/webhook"
APP = "acme/app"


def world(version: str, tmp_path: Path) -> tuple[FakeGitea, dict[str, str], httpx.WSGITransport]:
    fake = FakeGitea(version)
    fake.add_user("teabot", "bot-token")
    fake.add_repo(APP)
    fake.set_permission(APP, "teabot", "admin")
    env = {"TEABOT_GITEA_URL": fake.url, "TEABOT_GITEA_TOKEN": "bot-token", "TEABOT_WEBHOOK_SECRET": "s",
           "TEABOT_DATA_DIR": str(tmp_path / "data")}
    return fake, env, httpx.WSGITransport(app=fake.app)


def about(findings: list, text: str) -> list:
    return [f for f in findings if text in f.what]


@pytest.mark.parametrize(("version", "level"), [("1.25", Level.WARN), ("1.26", Level.OK), ("1.27", Level.OK)])
def test_check_says_whether_the_bot_may_list_runs(version: str, level: Level, tmp_path: Path) -> None:
    fake, env, transport = world(version, tmp_path)
    [finding] = about(run_checks(env, [APP], URL, transport=transport), "list workflow runs")
    assert finding.level is level
    if level is Level.WARN:
        assert "owner or a site admin" in finding.what and "upgrade Gitea to 1.26" in finding.fix


def test_check_on_1_24_does_not_ask_for_runs(tmp_path: Path) -> None:
    fake, env, transport = world("1.24", tmp_path)
    assert about(run_checks(env, [APP], URL, transport=transport), "workflow runs") == []


def test_check_reports_empty_repositories_and_dependencies_switched_off(tmp_path: Path) -> None:
    fake, env, transport = world("1.25", tmp_path)
    fake.state.add_repo("acme/new", empty=True)
    fake.set_permission("acme/new", "teabot", "admin")
    fake.state.repos[APP].enable_dependencies = False
    found = run_checks(env, [APP, "acme/new"], URL, transport=transport)
    assert about(found, "acme/new: the repository is empty")[0].level is Level.WARN
    assert not about(found, "check that the repository exists")
    assert "Enable dependencies" in about(found, f"{APP}: issue dependencies are switched off")[0].fix


def test_check_sees_organisation_hooks_or_says_it_cannot(tmp_path: Path) -> None:
    fake, env, transport = world("1.25", tmp_path)
    fake.add_org_hook("acme", URL, "s", ["issues", "issue_comment", "pull_request", "pull_request_comment",
                                         "status", "workflow_run", "workflow_job"])
    hidden = run_checks(env, [APP], URL, transport=transport)
    assert about(hidden, "cannot see the webhooks of organisation acme")
    fake.set_permission(APP, "teabot", "owner")  # an owner of the organisation
    seen = run_checks(env, [APP], URL, transport=transport)
    assert about(seen, "organisation acme's webhook #")[0].level is Level.OK
    assert not about(seen, "no webhook posts")


def test_setup_hook_repairs_the_organisation_hook_it_finds(tmp_path: Path) -> None:
    fake, env, transport = world("1.26", tmp_path)
    fake.set_permission(APP, "teabot", "owner")
    old = fake.add_org_hook("acme", URL, "wrong-secret", ["push"])
    forge = make_forge(Settings.from_env(env), transport=transport)
    plan = setup_hook(forge, APP, URL, "right-secret")
    assert (plan.org, plan.hook_id) == ("acme", old)
    [hook] = fake.state.org_hooks["acme"].values()
    assert hook.secret == "right-secret" and "push" in hook.events and fake.state.repos[APP].hooks == {}
