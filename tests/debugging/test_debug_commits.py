"""Conventional commit messages and the bot's fix branches."""

from __future__ import annotations

import pytest

from bot.debug.core.commits import coerce_message, commit_message, fix_branch, is_bot_branch, is_conventional


@pytest.mark.parametrize("kind, scope, subject, body, expected", [
    ("fix", "calc", "correct add()", "", "fix(calc): correct add()"),
    ("fix", "", "correct add()", "", "fix: correct add()"),
    ("test", " api client ", "cover retries.", "", "test(api-client): cover retries"),
    ("fix", "calc", "  correct   add()\nsecond line", "Why: it subtracted.\n",
     "fix(calc): correct add()\n\nWhy: it subtracted."),
    ("ci", "", "", "", "ci: fix the failing pipeline"),
])
def test_commit_message(kind, scope, subject, body, expected):
    message = commit_message(kind, scope, subject, body)
    assert message == expected
    assert is_conventional(message)


def test_long_subjects_are_cut_at_a_word():
    message = commit_message("fix", "calc", "make the adder add " + "really " * 20 + "well")
    subject = message.split(": ", 1)[1]
    assert len(subject) <= 72 and subject.endswith("really") and is_conventional(message)
    unbroken = commit_message("fix", "", "x" * 100)
    assert unbroken == "fix: " + "x" * 72


def test_unknown_type_is_refused():
    with pytest.raises(ValueError, match="commit type 'bugfix' is not one of feat, fix"):
        commit_message("bugfix", "", "x")


@pytest.mark.parametrize("message, ok", [
    ("fix(calc): correct add()", True), ("feat!: drop python 3.10", True), ("revert: undo it\n\nbody", True),
    ("build(deps/dev): bump x", True), ("Fix: correct add", False), ("fix correct add", False),
    ("fix(calc): correct add().", False), ("fix(): x", False), ("fix: " + "x" * 73, False), ("wip: x", False),
    ("fix:  ", False), ("", False),
])
def test_is_conventional(message, ok):
    assert is_conventional(message) is ok


@pytest.mark.parametrize("proposed, expected", [
    ("fix(calc): correct add()", "fix(calc): correct add()"),
    ("Correct the adder.", "fix(calc): Correct the adder"),
    ("fix(calc): correct add().", "fix(calc): correct add()"),
    (None, "fix(calc): repair the ci workflow"),
    ("", "fix(calc): repair the ci workflow"),
])
def test_coerce_message(proposed, expected):
    assert coerce_message(proposed, scope="calc", fallback="repair the ci workflow") == expected


@pytest.mark.parametrize("workflow, run, expected", [
    ("ci.yml", 42, "teabot/fix/ci-42"), (".gitea/workflows/Build & Test.yaml", "7", "teabot/fix/build-test-7"),
    ("..lock", 1, "teabot/fix/lock-1"), ("", "", "teabot/fix/workflow-0"), ("a@{b}", "3/4", "teabot/fix/a-b-3-4"),
])
def test_fix_branch(workflow, run, expected):
    assert fix_branch(workflow, run) == expected
    assert is_bot_branch(expected)


@pytest.mark.parametrize("name, ok", [
    ("teabot/fix/ci-1", True), ("refs/heads/teabot/x", True), ("main", False), ("feature/teabot/x", False),
])
def test_is_bot_branch(name, ok):
    assert is_bot_branch(name) is ok
