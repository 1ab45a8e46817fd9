"""`teabot check --config FILE`: a repository's teabot files validated offline, errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.checks import Level
from bot.cli.config_check import check_file, check_paths


def write(root: Path, path: str, text: str) -> Path:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


@pytest.mark.parametrize(("path", "text", "expected"), [
    (".gitea/teabot.yaml", "commands:\n  plan:\n    allowed: admin\n", "valid teabot.yaml"),
    (".gitea/teabot.yaml", "", "valid teabot.yaml"),
    (".gitea/teabot/workflows/auto_debug.yaml", "phases:\n  deploy: deploy.yaml\n",
     "valid override of workflow auto_debug"),
    (".gitea/teabot/skills/pi_planning/skill.md", "---\nextends: true\n---\nAlso mention risks.\n",
     "valid override of skill pi_planning"),
])
def test_valid_files_pass(tmp_path: Path, path: str, text: str, expected: str) -> None:
    finding = check_file(write(tmp_path, path, text))
    assert finding.level is Level.OK and expected in finding.what


@pytest.mark.parametrize(("path", "text", "names"), [
    (".gitea/teabot.yaml", "commands:\n  plan:\n    alowed: admin\n", ["commands.plan.alowed", "unknown key"]),
    (".gitea/teabot.yaml", "debug:\n  budget:\n    attempts: many\n", ["debug.budget.attempts"]),
    (".gitea/teabot.yaml", "- a list\n", ["top level must be a mapping"]),
    (".gitea/teabot.yaml", "commands: [\n", ["not valid YAML"]),
    (".gitea/teabot/workflows/auto_debug.yaml", "options:\n  poll_interval_seconds: soon\n",
     ["options.poll_interval_seconds"]),
    (".gitea/teabot/workflows/nope.yaml", "options: {}\n", ["no workflow named 'nope'", "auto_debug"]),
    (".gitea/teabot/skills/ghost/skill.md", "---\nname: ghost\n---\nx\n", ["no skill named 'ghost'"]),
])
def test_errors_name_the_file_and_the_key(tmp_path: Path, path: str, text: str, names: list[str]) -> None:
    target = write(tmp_path, path, text)
    finding = check_file(target)
    assert finding.level is Level.ERROR
    assert str(target) in finding.what
    for name in names:
        assert name in finding.what


def test_a_checkout_is_checked_file_by_file(tmp_path: Path) -> None:
    assert [f.what for f in check_paths([tmp_path])] == [f"{tmp_path}: no teabot files (defaults apply)"]
    write(tmp_path, ".gitea/teabot.yaml", "planning:\n  max_stories_per_feature: 9\n")
    write(tmp_path, ".gitea/teabot/workflows/plan.yaml", "options:\n  post_board: true\n")
    levels = [f.level for f in check_paths([tmp_path])]
    assert levels == [Level.ERROR, Level.OK]


def test_the_command_exits_non_zero_on_errors_and_needs_no_settings(tmp_path: Path) -> None:
    good = write(tmp_path, "good/.gitea/teabot.yaml", "commands:\n  help:\n    enabled: false\n")
    bad = write(tmp_path, "bad/.gitea/teabot.yaml", "commands:\n  halp: {}\n")
    runner = CliRunner()
    passed = runner.invoke(main, ["check", "--config", str(good)], env={"TEABOT_GITEA_URL": "not a url"})
    assert passed.exit_code == 0 and passed.output.startswith("ok ")
    refused = runner.invoke(main, ["check", "--config", str(good), str(bad)])
    assert refused.exit_code == 1
    assert f"error {bad}: commands.halp: unknown key" in refused.output


def test_the_pre_commit_hook_runs_check_config_on_teabot_files_only(tmp_path: Path) -> None:
    import re
    import shlex

    import yaml

    from tests.conftest import REPO_ROOT

    [hook] = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hook["files"])
    assert all(pattern.search(p) for p in (".gitea/teabot.yaml", ".gitea/teabot/workflows/plan.yaml",
                                             ".gitea/teabot/skills/pi_planning/skill.md"))
    assert not any(pattern.search(p) for p in (".gitea/workflows/ci.yml", "teabot.yaml", "README.md"))
    bad = write(tmp_path, ".gitea/teabot.yaml", "planing: {}\n")
    entry = shlex.split(hook["entry"])
    assert entry[0] == "teabot"
    result = CliRunner().invoke(main, [*entry[1:], str(bad)])  # pre-commit appends the changed files
    assert result.exit_code == 1 and "planing: unknown key" in result.output


def test_without_files_the_current_checkout_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, ".gitea/teabot/workflows/plan.yaml", "options:\n  post_board: maybe\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--config"])
    assert result.exit_code == 1 and ".gitea/teabot/workflows/plan.yaml" in result.output
    assert CliRunner().invoke(main, ["check", str(tmp_path)]).exit_code == 2  # files need --config
