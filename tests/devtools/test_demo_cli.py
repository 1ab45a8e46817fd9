"""`teabot demo`'s options: its choices are the harness's bugs and the fake Gitea's profiles."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli.demo import BUG_CHOICES, GITEA_VERSIONS, demo
from bot.cli.demo import TRIGGERS as DEMO_TRIGGERS
from harness.fake_ci import BUGS
from harness.fake_ci.sample import TRIGGERS
from harness.fake_gitea.profiles import PROFILES


def test_the_choices_are_the_harness_bugs_profiles_and_triggers() -> None:
    assert set(BUG_CHOICES) == set(BUGS)
    assert set(GITEA_VERSIONS) == set(PROFILES)
    assert set(DEMO_TRIGGERS) == set(TRIGGERS)


def test_help_lists_the_choices_and_the_default_release() -> None:
    result = CliRunner().invoke(demo, ["--help"], terminal_width=200)
    text = " ".join(result.output.split())  # help text wraps wherever the terminal ends
    assert result.exit_code == 0
    assert "--bug [off_by_one|rounding|tax_rate|name_error]" in text
    assert "--gitea-version [1.24|1.25|1.26|1.27]" in text and "[default: 1.25]" in text


def test_an_unknown_bug_or_release_is_refused_by_click() -> None:
    for args in (["--bug", "typo"], ["--gitea-version", "1.23"]):
        result = CliRunner().invoke(demo, args)
        assert result.exit_code == 2 and "Invalid value" in result.output


def test_on_1_24_the_demo_refuses_before_starting_anything() -> None:
    result = CliRunner().invoke(demo, ["--gitea-version", "1.24"])
    assert result.exit_code == 2
    assert "auto-debug needs Gitea >= 1.25: Gitea 1.24.7 has no Actions runs API" in result.output
