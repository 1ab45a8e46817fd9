"""Settings from the environment: defaults, every variable, and errors that say what to fix."""

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, Settings


def test_defaults_need_nothing() -> None:
    settings = Settings.from_env({})
    assert settings.redis_url is None and not settings.model.enabled
    assert settings.api_url == "http://localhost:3000/api/v1" and settings.spool_dir == Path.home() / ".local/share/teabot/spool"


def test_every_variable_is_read() -> None:
    settings = Settings.from_env({
        "TEABOT_GITEA_URL": "https://git.example.org/", "TEABOT_GITEA_TOKEN": " tok ", "TEABOT_WEBHOOK_SECRET": "s",
        "TEABOT_BOT_LOGIN": "teabot", "REDIS_URL": "redis://r:6379/2", "TEABOT_QUEUE": "q", "TEABOT_DATA_DIR": "/var/x",
        "TEABOT_MAX_BODY_BYTES": "1000", "TEABOT_GITEA_TIMEOUT": "5", "TEABOT_GITEA_RETRIES": "0",
        "TEABOT_DEDUPE_TTL": "60", "TEABOT_LOG_LEVEL": "debug", "TEABOT_LOG_FORMAT": "TEXT",
        "OPENAI_BASE_URL": "http://127.0.0.1:8001/v1", "OPENAI_API_KEY": "k", "TEABOT_MODEL": "qwen",
        "TEABOT_MODEL_PLAN": "big", "TEABOT_MODEL_TIMEOUT": "12.5", "TEABOT_MODEL_MAX_RETRIES": "0",
        "TEABOT_SERVER_URL": "https://teabot.example.org", "TEABOT_CI_LOG_HOSTS": "Jenkins.example.com, 10.0.0.5:8080,,[::1]:9000",
    })
    assert settings.api_url == "https://git.example.org/api/v1" and settings.gitea_token == "tok"
    assert (settings.redis_url, settings.queue_name, settings.data_dir) == ("redis://r:6379/2", "q", Path("/var/x"))
    assert (settings.max_body_bytes, settings.gitea_timeout, settings.gitea_retries, settings.dedupe_ttl) == (1000, 5.0, 0, 60)
    assert (settings.log_level, settings.log_format) == ("DEBUG", "text")
    assert settings.model.enabled and settings.model.model_for("plan") == "big" and settings.model.model_for("debug") == "qwen"
    assert (settings.model.timeout, settings.model.max_retries) == (12.5, 0)
    assert settings.server_url == "https://teabot.example.org"
    assert settings.ci_log_hosts == ("jenkins.example.com", "10.0.0.5:8080", "[::1]:9000")


def test_teabot_model_variables_win_over_openai_ones() -> None:
    settings = Settings.from_env({"TEABOT_MODEL_BASE_URL": "http://a/v1", "OPENAI_BASE_URL": "http://b/v1"})
    assert settings.model.base_url == "http://a/v1"


def test_all_problems_are_reported_at_once_naming_each_variable() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"TEABOT_GITEA_URL": "gitea.local", "TEABOT_SERVER_URL": "teabot:8080", "REDIS_URL": "http://x", "TEABOT_MAX_BODY_BYTES": "big",
                           "TEABOT_GITEA_TIMEOUT": "-1", "TEABOT_LOG_LEVEL": "loud", "TEABOT_MODEL_MAX_RETRIES": "-2",
                           "TEABOT_CI_LOG_HOSTS": "https://jenkins.example.com/job"})
    message = str(info.value)
    for name in ("TEABOT_GITEA_URL", "TEABOT_SERVER_URL", "REDIS_URL", "TEABOT_MAX_BODY_BYTES", "TEABOT_GITEA_TIMEOUT", "TEABOT_LOG_LEVEL",
                 "TEABOT_MODEL_MAX_RETRIES", "TEABOT_CI_LOG_HOSTS"):
        assert name in message
    assert "redis://" in message and "whole number" in message and "no scheme, no path" in message


def test_replace_returns_a_changed_copy() -> None:
    settings = Settings()
    assert settings.replace(bot_login="b").bot_login == "b" and settings.bot_login is None


def test_every_variable_teabot_reads_is_known_so_it_is_never_reported_as_a_misspelling() -> None:
    import re
    from pathlib import Path

    from bot.config.settings import KNOWN_VARIABLES

    root = Path(__file__).resolve().parents[1] / "bot"
    read = {name for path in root.rglob("*.py") for name in re.findall(r"\"(TEABOT_[A-Z_]+)\"", path.read_text())}
    assert read and read <= KNOWN_VARIABLES, sorted(read - KNOWN_VARIABLES)
