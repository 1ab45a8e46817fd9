"""The anti-cheat guard: refuse edits that make a run green by hiding the failure instead of fixing it.

    violations = check_edits(old_files, new_files, allow_ci_edits=config.debug.allow_ci_edits)
    if violations: tell the model render_violations(violations), count the attempt, push nothing.

Rules: deleting a test file; removing test cases; adding skips, xfails or focus markers; fewer
assertions in a test file, or a new assertion that cannot fail; editing CI configuration (unless the
repository allows it) or the bot's own settings; test-runner options that deselect or ignore tests.
Widened tolerances (`approx(abs=…)`) are out of scope.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from bot.debug.core import patterns
from bot.debug.core.paths import is_bot_config, is_ci_config, is_runner_config


class Rule(str, Enum):
    """Which guard rule an edit broke."""

    TEST_DELETED = "test_deleted"
    TESTS_REMOVED = "tests_removed"
    SKIP_ADDED = "skip_added"
    ASSERTIONS_REMOVED = "assertions_removed"
    ASSERTION_WEAKENED = "assertion_weakened"
    CI_CONFIG = "ci_config"
    BOT_CONFIG = "bot_config"
    TESTS_DESELECTED = "tests_deselected"


@dataclass(frozen=True)
class Violation:
    """One broken rule in one file, with what exactly was found."""

    path: str
    rule: Rule
    detail: str


def check_edits(old: Mapping[str, str | None], new: Mapping[str, str | None], *,
                allow_ci_edits: bool = False) -> list[Violation]:
    """Every rule the change from `old` to `new` breaks (paths in `new`; None = absent); [] when clean."""
    found: list[Violation] = []
    for path in sorted(new):
        before, after = old.get(path), new[path]
        if before != after:
            found.extend(_check_file(path, before, after, allow_ci_edits))
    return found


def render_violations(violations: list[Violation]) -> str:
    """The reason sent back to the model when the guard refuses its edits ("" when none)."""
    if not violations:
        return ""
    listed = "\n".join(f"- {v.path}: {_RULE_TEXT[v.rule]} ({v.detail})" for v in violations)
    return ("The edits were rejected by the anti-cheat guard and were not pushed; this attempt counts "
            f"against the budget.\n{listed}\nFix the code the failing tests exercise instead. Do not delete, "
            "skip or weaken tests, and do not edit CI or test-runner configuration.")


_RULE_TEXT = {
    Rule.TEST_DELETED: "deletes a test file",
    Rule.TESTS_REMOVED: "removes test cases",
    Rule.SKIP_ADDED: "adds a skip, xfail or focus marker",
    Rule.ASSERTIONS_REMOVED: "removes assertions from a test file",
    Rule.ASSERTION_WEAKENED: "adds an assertion that cannot fail",
    Rule.CI_CONFIG: "edits CI configuration",
    Rule.BOT_CONFIG: "edits the bot's own settings",
    Rule.TESTS_DESELECTED: "makes the test runner deselect or ignore tests",
}


def _check_file(path: str, before: str | None, after: str | None, allow_ci: bool) -> list[Violation]:
    if is_bot_config(path):
        return [Violation(path, Rule.BOT_CONFIG, "teabot's settings are changed by people, not by fixes")]
    found = []
    if is_ci_config(path) and not allow_ci:
        found.append(Violation(path, Rule.CI_CONFIG, "CI files are off limits unless debug.allow_ci_edits is set"))
    if after is None:
        if patterns.holds_tests(path, before):
            found.append(Violation(path, Rule.TEST_DELETED, "the whole file is deleted"))
        return found
    old_lines, new_lines = patterns.code_lines(before or ""), patterns.code_lines(after)
    found.extend(_skips(path, old_lines, new_lines))
    if is_runner_config(path):
        found.extend(_deselects(path, (before or "").splitlines(), after.splitlines()))
    if patterns.holds_tests(path, before) or patterns.holds_tests(path, after):
        found.extend(_tests(path, before or "", after))
        found.extend(_assertions(path, old_lines, new_lines))
    return found


def _skips(path: str, old: list[str], new: list[str]) -> list[Violation]:
    if patterns.count(patterns.SKIP, new) <= patterns.count(patterns.SKIP, old):
        return []
    return [Violation(path, Rule.SKIP_ADDED, f"adds {_added(old, new, patterns.SKIP.search)}")]


def _deselects(path: str, old: list[str], new: list[str]) -> list[Violation]:
    if patterns.count(patterns.DESELECT, new) <= patterns.count(patterns.DESELECT, old):
        return []
    return [Violation(path, Rule.TESTS_DESELECTED, f"adds {_added(old, new, patterns.DESELECT.search)}")]


def _tests(path: str, before: str, after: str) -> list[Violation]:
    had, has = patterns.test_names(path, before), patterns.test_names(path, after)
    if has.total() >= had.total():
        return []  # renaming a test is fine; fewer tests is not
    names = ", ".join(sorted((had - has).elements())[:8])
    return [Violation(path, Rule.TESTS_REMOVED, f"{had.total()} tests before, {has.total()} after: {names}")]


def _assertions(path: str, old: list[str], new: list[str]) -> list[Violation]:
    found = []
    had, has = patterns.count(patterns.ASSERTION, old), patterns.count(patterns.ASSERTION, new)
    if has < had:
        found.append(Violation(path, Rule.ASSERTIONS_REMOVED, f"{had} assertions before, {has} after"))
    if sum(map(patterns.is_tautology, new)) > sum(map(patterns.is_tautology, old)):
        found.append(Violation(path, Rule.ASSERTION_WEAKENED, f"adds {_added(old, new, patterns.is_tautology)}"))
    return found


def _added(old: list[str], new: list[str], test: Callable[[str], object]) -> str:
    """The first line of `new` that `test` accepts and `old` does not hold as often, quoted."""
    fresh = Counter(line.strip() for line in new) - Counter(line.strip() for line in old)
    return repr(next((ln for ln in (x.strip() for x in new) if fresh[ln] and test(ln)), "")[:100])
