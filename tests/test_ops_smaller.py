"""The smaller operator papercuts: replay's errors, demo's help, redaction of prose, quiet httpx, serve's notes."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.demo import BUG_CHOICES as DEMO_BUGS
from bot.logs import configure_logging
from bot.redact import redact
from tests.conftest import load_case


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "comment.json"
    path.write_text(json.dumps(load_case("issue_comment/created")))
    return path


def test_replay_to_a_closed_port_says_what_to_check(payload: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/webhook"
    result = CliRunner().invoke(main, ["replay", "--event", "issue_comment", "--url", url, str(payload)],
                                env={"TEABOT_WEBHOOK_SECRET": "s", "TEABOT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert f"could not POST to {url} (ConnectError" in result.output and "is `teabot serve` running" in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) <= 2


def test_replay_refuses_an_event_gitea_does_not_send(payload: Path) -> None:
    result = CliRunner().invoke(main, ["replay", "--event", "issue_coment", str(payload)])
    assert result.exit_code == 2
    assert "'issue_coment' is not an event Gitea sends" in result.output and "issue_comment" in result.output


def test_demo_help_lists_the_bugs() -> None:
    from harness.fake_ci import BUGS

    assert DEMO_BUGS == tuple(BUGS)
    result = CliRunner().invoke(main, ["demo", "--help"])
    assert "off_by_one|rounding|tax_rate|name_error" in result.output.replace("\n", "").replace(" ", "")


@pytest.mark.parametrize(("text", "expected"), [
    ("TEABOT_GITEA_TOKEN: must be set", "TEABOT_GITEA_TOKEN: must be set"),
    ("invalid environment: TEABOT_WEBHOOK_SECRET: is missing", "invalid environment: TEABOT_WEBHOOK_SECRET: is missing"),
    ("password: hunter2", "password: [REDACTED]"),
    ("token: abcdef123456", "token: [REDACTED]"),
    ("TEABOT_GITEA_TOKEN=must", "TEABOT_GITEA_TOKEN=must"),
])
def test_prose_after_a_setting_name_is_not_taken_for_a_secret(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_httpx_request_lines_are_quiet_unless_debugging() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", "text")
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        configure_logging("DEBUG", "text")
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        logging.getLogger("httpcore").setLevel(logging.NOTSET)


def test_serve_says_why_it_runs_one_process_and_what_to_do_next(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    from prometheus_client import values

    started = {}
    monkeypatch.setattr("bot.receiver.gunicorn_app.run_gunicorn", lambda settings, **kw: started.update(kw))
    # serve switches this process's prometheus-client to multiprocess mode: undone after the test
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)
    result = CliRunner().invoke(main, ["serve", "--workers", "4"],
                                env={"TEABOT_DATA_DIR": str(tmp_path), "TEABOT_GITEA_TOKN": "x"})
    assert result.exit_code == 0, result.output
    assert started["workers"] == 1 and started["control_socket"] is None
    assert "--workers 4 needs REDIS_URL" in result.output
    assert "TEABOT_GITEA_TOKN is not a teabot setting: did you mean TEABOT_GITEA_TOKEN?" in result.output
    assert "teabot check --repo OWNER/REPO" in result.output and "teabot demo" in result.output
    assert f"data in {tmp_path}" in result.output


def test_a_rejected_token_at_start_up_is_named_as_such(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.server import discover_bot_login
    from bot.config.settings import Settings
    from harness.fake_gitea import FakeGitea

    fake = FakeGitea("1.25.4")
    fake.add_user("teabot", "bot-token")
    try:
        settings = Settings(gitea_url=fake.start(), gitea_token="revoked", gitea_retries=0)
        assert discover_bot_login(settings).bot_login is None
        assert discover_bot_login(settings.replace(gitea_token="bot-token")).bot_login == "teabot"
    finally:
        fake.stop()
    said = capsys.readouterr().err
    assert "Gitea rejects TEABOT_GITEA_TOKEN (401)" in said and "Generate a new token" in said
    assert "set TEABOT_BOT_LOGIN" not in said
