"""`teabot handover issue|rotate|rotate-key` against the fake Gitea, and the Actions step end to end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from bot.cli import main
from bot.cli.step import InlineQueue
from bot.config.settings import Settings
from bot.receiver.app import create_app
from bot.security.handover import credential_for
from harness import cast
from harness.cast import BOT_TOKEN, REPO, Person
from harness.fake_gitea import FakeGitea
from tests.conftest import load_case

KEY = "cli-handover-key"
OWNER_TOKEN = "owner-token"


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    """acme/widget over HTTP: the bot user is an Admin collaborator, carol an owner of the acme organisation."""
    fake = cast.seed(FakeGitea("1.25.4"), cast=(*cast.STANDARD, Person("carol", "owner", OWNER_TOKEN)))
    fake.start()
    yield fake
    fake.stop()


def run(args: list[str], env: dict[str, str], stdin: str | None = None):
    return CliRunner().invoke(main, ["handover", *args], env=env, input=stdin, catch_exceptions=False)


def server_env(tmp_path: Path, fake: FakeGitea | None = None, token: str = OWNER_TOKEN, **extra: str) -> dict[str, str]:
    env = {"TEABOT_DATA_DIR": str(tmp_path / "server"), "TEABOT_HANDOVER_KEY": KEY, **extra}
    return {**env, "TEABOT_GITEA_URL": fake.url, "TEABOT_GITEA_TOKEN": token} if fake else env


def test_issue_and_rotate_print_the_credential(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    issued = run(["issue", "Acme/Widget"], env)
    assert issued.exit_code == 0 and issued.stdout == credential_for(KEY.encode(), REPO, 1) + "\n"
    assert "store it as the Actions secret TEABOT_HANDOVER_TOKEN of Acme/Widget" in issued.stderr
    rotated = run(["rotate", REPO], env)
    assert rotated.exit_code == 0 and rotated.stdout == credential_for(KEY.encode(), REPO, 2) + "\n"
    assert "rotated acme/widget to generation 2" in rotated.stderr
    assert run(["issue", REPO], env).stdout == rotated.stdout  # the current generation from now on
    assert run(["issue", "acme/other"], env).stdout == credential_for(KEY.encode(), "acme/other", 1) + "\n"


def test_a_malformed_repository_is_a_usage_error(tmp_path: Path) -> None:
    result = run(["rotate", "widget"], server_env(tmp_path))
    assert result.exit_code == 2 and "is not of the form OWNER/REPO" in result.output
    assert not (tmp_path / "server" / "handover.sqlite3").exists()  # nothing rotated


def test_install_sets_the_repository_secret(fake: FakeGitea, tmp_path: Path) -> None:
    env = server_env(tmp_path, fake)
    first = run(["issue", REPO, "--install"], env)
    assert first.exit_code == 0, first.output
    assert "created the Actions secret TEABOT_HANDOVER_TOKEN of acme/widget (generation 1)" in first.stdout
    assert "tbh1" not in first.output  # installed, not printed
    secrets = fake.state.repos[REPO].secrets
    assert secrets == {"TEABOT_HANDOVER_TOKEN": credential_for(KEY.encode(), REPO, 1)}
    again = run(["rotate", REPO, "--install", "--secret-name", "teabot_handover_token"], env)
    assert "rotated acme/widget to generation 2; replaced the Actions secret" in again.stdout
    assert secrets == {"TEABOT_HANDOVER_TOKEN": credential_for(KEY.encode(), REPO, 2)}
    [put] = [c for c in fake.requests if c.method == "PUT"][-1:]
    assert put.path == f"/repos/{REPO}/actions/secrets/teabot_handover_token"


def test_install_with_an_admin_collaborators_token_says_who_may(fake: FakeGitea, tmp_path: Path) -> None:
    result = run(["rotate", REPO, "--install"], server_env(tmp_path, fake, token=BOT_TOKEN))
    assert result.exit_code == 1 and "only the repository's owner or a site admin may set Actions secrets" in result.output
    assert "rotated acme/widget to generation 2; but" in result.output
    assert "`teabot handover issue acme/widget --install`" in result.output and not fake.state.repos[REPO].secrets
    no_token = run(["issue", REPO, "--install"], server_env(tmp_path))
    assert no_token.exit_code == 1 and "TEABOT_GITEA_TOKEN is not set" in no_token.output


def test_install_on_a_repository_gitea_does_not_have(fake: FakeGitea, tmp_path: Path) -> None:
    result = run(["issue", "acme/nothing", "--install"], server_env(tmp_path, fake))
    assert result.exit_code == 1 and "acme/nothing: no such repository" in result.output


def test_rotate_key_asks_and_refuses_a_key_from_the_environment(tmp_path: Path) -> None:
    env = {"TEABOT_DATA_DIR": str(tmp_path / "server")}
    before = run(["issue", REPO], env).stdout
    assert run(["rotate-key"], env, stdin="n\n").exit_code == 1 and run(["issue", REPO], env).stdout == before
    done = run(["rotate-key", "--yes"], env)
    assert done.exit_code == 0 and "re-issue each repository's credential" in done.output
    assert run(["issue", REPO], env).stdout != before
    refused = run(["rotate-key", "--yes"], server_env(tmp_path))
    assert refused.exit_code == 1 and "TEABOT_HANDOVER_KEY is set" in refused.output


# --- the fake Gitea's secrets route (routers/api/v1/repo/action.go `CreateOrUpdateSecret` @v1.25.4) -------------


@pytest.mark.parametrize(("token", "name", "body", "status"), [
    (OWNER_TOKEN, "MY_SECRET", {"data": "x"}, 201),
    (None, "MY_SECRET", {"data": "x"}, 401),
    ("alice-token", "MY_SECRET", {"data": "x"}, 403),
    (BOT_TOKEN, "MY_SECRET", {"data": "x"}, 403),  # an Admin collaborator is not the owner (`reqOwner`)
    (OWNER_TOKEN, "MY_SECRET", {"data": ""}, 422),
    (OWNER_TOKEN, "GITEA_X", {"data": "x"}, 400),
    (OWNER_TOKEN, "ci", {"data": "x"}, 400),
    (OWNER_TOKEN, "1X", {"data": "x"}, 400),
])
def test_the_fake_gitea_secret_route(fake: FakeGitea, token: str | None, name: str, body: dict, status: int) -> None:
    import httpx

    headers = {"Authorization": f"token {token}"} if token else {}
    response = httpx.put(f"{fake.url}/api/v1/repos/{REPO}/actions/secrets/{name}", json=body, headers=headers)
    assert response.status_code == status


# --- the Actions step end to end ---------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, InlineQueue]]:
    """The real receiver (its own routes) over HTTP, with a generated key in its data directory; jobs only recorded."""
    queue = InlineQueue(dry_run=True)
    app = create_app(Settings(webhook_secret="hook-secret", bot_login="teabot", data_dir=tmp_path / "server"), queue=queue)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", queue
    http.shutdown()
    thread.join(timeout=10)


def test_the_step_hands_over_with_the_issued_credential_until_it_is_rotated(tmp_path: Path, server) -> None:
    url, queue = server
    operator = {"TEABOT_DATA_DIR": str(tmp_path / "server")}  # the server's environment: the same generated key
    event_file = tmp_path / "event.json"
    event_file.write_text(__import__("json").dumps(load_case("workflow_run/completed_failure")["body"]))
    job = {"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": str(event_file), "GITHUB_REPOSITORY": REPO,
           "TEABOT_SERVER_URL": url, "TEABOT_DATA_DIR": str(tmp_path / "job")}

    def step(token: str):
        return CliRunner().invoke(main, ["debug", "--from-event"], env={**job, "TEABOT_HANDOVER_TOKEN": token})

    first = run(["issue", REPO], operator).stdout.strip()
    handed = step(first)
    assert handed.exit_code == 0 and f"to {url}/handover: 202 queued" in handed.output, handed.output
    [request] = queue.requests
    assert request.job == "bot.debug.jobs.debug_run_completed" and request.kwargs["repo"] == REPO
    second = run(["rotate", REPO], operator).stdout.strip()
    stale = step(first)
    assert stale.exit_code == 1 and "401" in stale.output and "rotated out" in stale.output and len(queue.requests) == 1
    assert step(second).exit_code == 0 and len(queue.requests) == 2
