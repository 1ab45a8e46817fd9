"""An empty repository (no commits yet: Gitea 404s its default branch) still gets /help and /plan answered."""

from __future__ import annotations

from bot.assist.jobs import reply_help
from bot.config.repo_files import repo_files
from bot.config.settings import Settings
from bot.forge.client import GiteaClient
from bot.plan.jobs import plan_command
from bot.worker.embedded import EmbeddedQueue
from bot.worker.runtime import Runtime
from harness.cast import BOT
from harness.fake_gitea import FakeGitea

REPO = "acme/new"


def runtime(forge: GiteaClient) -> Runtime:
    settings = Settings(gitea_url="http://fake.test", gitea_token="t", bot_login=BOT)
    return Runtime(settings, EmbeddedQueue(), _forge=forge)


def empty_repo_with_an_issue(fake: FakeGitea, body: str) -> int:
    fake.state.add_repo(REPO, empty=True)
    for login, role in ((BOT, "admin"), ("alice", "write")):
        fake.set_permission(REPO, login, role)
    return fake.add_issue(REPO, "Checkout", body, author="alice")


def test_the_defaults_apply_when_the_repository_has_no_commits(fake: FakeGitea, forge: GiteaClient) -> None:
    fake.state.add_repo(REPO, empty=True)
    files = repo_files(forge, REPO)
    assert files.sha == "" and files.config().enabled_commands() and files.playbook("plan").name == "plan"


def test_help_and_plan_answer_on_an_empty_repository(fake: FakeGitea, forge: GiteaClient) -> None:
    number = empty_repo_with_an_issue(fake, "## Work\n- [ ] Take card payments\n- [ ] Send receipts by e-mail\n")
    rt = runtime(forge)
    reply_help.__wrapped__(rt, repo=REPO, number=number)
    plan_command.__wrapped__(rt, repo=REPO, number=number, login="alice", command="plan")
    bodies = [c["body"] for c in fake.list_comments(REPO, number)]
    assert any("/plan" in b and "teabot:help" in b for b in bodies)
    assert any("teabot:plan" in b and "card payments" in b.lower() for b in bodies)
    assert not any("exists" in b for b in bodies)
