"""`.gitea/teabot.yaml`: defaults, permissions, and errors that name the file and the key."""

import pytest

from bot.config.settings import ConfigError
from bot.config.repo import RepoConfig, parse_repo_config


@pytest.mark.parametrize("text", [None, "", "# only a comment\n", b""])
def test_absent_or_empty_means_defaults(text: str | bytes | None) -> None:
    assert parse_repo_config(text) == RepoConfig()


def test_a_full_file_is_read() -> None:
    config = parse_repo_config(b"""
commands:
  plan: {allowed: read, users: [carol]}
  debug: {enabled: false}
debug:
  workflows: [ci.yml]
  budget: {attempts: 5, tokens: 50000, minutes: 20}
  deploy: {workflow: deploy.yml, inputs: {env: staging}}
  acceptance: {workflow: e2e.yml}
  docs_folder: requirements
planning:
  label_colors: {type: "0e8a16"}
""")
    assert config.debug.budget.attempts == 5 and config.debug.deploy.inputs == {"env": "staging"}
    assert config.debug.acceptance.workflow == "e2e.yml" and config.planning.label_colors == {"type": "0e8a16"}
    assert config.enabled_commands() == {"plan", "summarize", "classify", "triage", "help"}


@pytest.mark.parametrize(
    ("command", "role", "login", "allowed"),
    [
        ("plan", "write", "bob", True),
        ("plan", "read", "bob", False),
        ("plan", "none", "carol", True),
        ("help", "none", "anyone", True),
        ("summarize", "read", "x", True),
        ("summarize", "none", "x", False),
        ("debug", "admin", "x", False),  # disabled in this config
        ("nonsense", "owner", "x", False),
    ],
)
def test_who_may_run_what(command: str, role: str, login: str, allowed: bool) -> None:
    config = parse_repo_config("commands:\n  plan: {users: [Carol]}\n  debug: {enabled: false}\n")
    assert config.may(command, role, login) is allowed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("debug:\n  budget:\n    attempts: many\n", ".gitea/teabot.yaml: debug.budget.attempts: Input should be a valid integer"),
        ("debug:\n  budjet: {}\n", "debug.budjet: unknown key"),
        ("commands:\n  plan: {allowed: everyone}\n", "commands.plan.allowed"),
        ("- a list\n", "top level must be a mapping"),
        ("debug: [unclosed\n", "not valid YAML"),
        ("debug:\n  budget: {attempts: 0}\n", "greater than or equal to 1"),
    ],
)
def test_errors_name_file_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_repo_config(text)
    assert message in str(info.value)
    assert str(info.value).startswith(".gitea/teabot.yaml:")
