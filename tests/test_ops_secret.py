"""One secret, one place: the data directory's default, the generated secret, and what setup-hook says about it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config.secret import ensure_secret, find_secret
from bot.config.settings import Settings, data_dir_from, default_data_dir, unknown_variables
from harness.fake_gitea import FakeGitea

APP = "acme/app"
URL = "https://teabot.example.org/webhook"


@pytest.mark.parametrize(("environ", "expected"), [
    ({"HOME": "/home/op"}, Path("/home/op/.local/share/teabot")),
    ({"HOME": "/home/op", "XDG_DATA_HOME": "/srv/xdg"}, Path("/srv/xdg/teabot")),
    ({"HOME": "/home/op", "XDG_DATA_HOME": "relative"}, Path("/home/op/.local/share/teabot")),  # XDG: ignore it
    ({"HOME": "/home/op", "TEABOT_DATA_DIR": "/data"}, Path("/data")),
])
def test_the_data_directory_is_absolute_and_documented(environ: dict, expected: Path) -> None:
    assert data_dir_from(environ) == expected
    assert Settings.from_env(environ).data_dir == expected


def test_a_relative_data_dir_is_made_absolute_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"TEABOT_DATA_DIR": "state"}).data_dir == tmp_path / "state"
    assert default_data_dir({}).is_absolute()


def test_the_secret_is_generated_once_and_found_by_everyone(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    assert find_secret(settings) is None
    first = ensure_secret(settings)
    assert first.generated and first.source == str(tmp_path / "d" / "webhook-secret")
    again = ensure_secret(settings)
    assert (again.value, again.generated) == (first.value, False)
    assert (tmp_path / "d" / "webhook-secret").stat().st_mode & 0o777 == 0o600
    assert ensure_secret(settings.replace(webhook_secret="given")).source == "TEABOT_WEBHOOK_SECRET"


def test_unknown_teabot_variables_are_named_with_a_suggestion() -> None:
    lines = unknown_variables({"TEABOT_GITEA_TOKN": "x", "TEABOT_WHATEVER": "1", "TEABOT_GITEA_URL": "u", "HOME": "/"})
    assert lines == ["TEABOT_GITEA_TOKN is not a teabot setting: did you mean TEABOT_GITEA_TOKEN?",
                     "TEABOT_WHATEVER is not a teabot setting (ignored)"]


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    fake = FakeGitea("1.25.4")
    fake.add_user("teabot", "bot-token")
    fake.add_repo(APP)
    fake.set_permission(APP, "teabot", "admin")
    fake.start()
    yield fake
    fake.stop()


def test_setup_hook_from_any_directory_uses_the_one_secret_and_says_where_it_is(
        fake: FakeGitea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_DATA_HOME": "", "TEABOT_GITEA_URL": fake.url, "TEABOT_GITEA_TOKEN": "bot-token"}
    stored = home / ".local/share/teabot/webhook-secret"
    for where in ("a", "b"):
        (tmp_path / where).mkdir()
        monkeypatch.chdir(tmp_path / where)
        result = CliRunner().invoke(main, ["setup-hook", APP, "--url", URL], env=env)
        assert result.exit_code == 0, result.output
        assert f"secret from the secret in {stored}" in result.output or f"set from the secret in {stored}" in result.output
        assert "TEABOT_WEBHOOK_SECRET" not in result.output.split("→")[1].split("(Gitea")[0]
    [hook] = fake.state.repos[APP].hooks.values()
    assert hook.secret == stored.read_text().strip()
    assert not (tmp_path / "a" / "data").exists() and not (tmp_path / "b" / "data").exists()


def test_setup_hook_names_the_variable_when_it_is_set(fake: FakeGitea, tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "TEABOT_GITEA_URL": fake.url, "TEABOT_GITEA_TOKEN": "bot-token",
           "TEABOT_WEBHOOK_SECRET": "s3"}
    result = CliRunner().invoke(main, ["setup-hook", APP, "--url", URL, "--dry-run"], env=env)
    assert "secret from TEABOT_WEBHOOK_SECRET" in result.output


def test_setup_hook_refuses_event_names_gitea_does_not_know(fake: FakeGitea, tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "TEABOT_GITEA_URL": fake.url, "TEABOT_GITEA_TOKEN": "bot-token",
           "TEABOT_WEBHOOK_SECRET": "s3"}
    result = CliRunner().invoke(main, ["setup-hook", APP, "--url", URL, "--events", "issues,pull_requests"], env=env)
    assert result.exit_code == 2
    assert "pull_requests: not Gitea hook event(s)" in result.output


@pytest.mark.parametrize("given", ["https://git.example.org/api/v1", "https://git.example.org/api/v1/",
                                   "https://git.example.org/"])
def test_an_api_url_given_as_the_gitea_url_is_reduced_to_the_site(given: str) -> None:
    settings = Settings.from_env({"TEABOT_GITEA_URL": given})
    assert settings.api_url == "https://git.example.org/api/v1"
