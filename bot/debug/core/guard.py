"""The anti-cheat guard: refuse edits that make a run green by hiding the failure instead of fixing it.

    violations = check_edits(old_files, new_files, policy=guard_policy(config))
    if violations: tell the model render_violations(violations), count the attempt, push nothing.

It holds by construction rather than by spotting cheats: by default a fix may not change tests,
test configuration, CI definitions, build or test scripts, interpreter start-up files or teabot's
settings AT ALL (`bot.debug.core.paths.protection`, compared by alias-proof keys), nor the test
sections of pyproject.toml / setup.cfg / package.json. `.gitea/teabot.yaml` may open paths with
`debug.guard.allow: [glob, …]` (never teabot's own settings); opened test files are still read
for removed, neutralised or weakened assertions, skips, hooks and patching. Every changed file is
scanned for new network, secret, test-runner and hidden-execution uses. Last, a green run counts
only on the ORIGINAL tests: `verification_files` names what to restore before the run that counts.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from bot.debug.core import patterns
from bot.debug.core.paths import PathError, Protection, is_runner_config, normalise_path, protection
from bot.security.code_scan import scan
from bot.security.paths import path_key
from bot.security.pytest_facts import facts
from bot.security.sections import runner_settings_change

_PROSE = (".md", ".rst", ".txt", ".adoc", ".csv", ".lock", ".svg", ".png", ".jpg", ".gif", ".po", ".pot")
_RESTORED = frozenset({Protection.TEST, Protection.TEST_CONFIG, Protection.STARTUP, Protection.CI})


class GuardRule(str, Enum):
    """Which guard rule an edit broke."""

    PATH_ALIAS = "path_alias"
    BOT_CONFIG = "bot_config"
    PROTECTED_PATH = "protected_path"
    CI_CONFIG = "ci_config"
    RUNNER_SETTINGS = "runner_settings"
    TEST_DELETED = "test_deleted"
    TESTS_REMOVED = "tests_removed"
    SKIP_ADDED = "skip_added"
    ASSERTIONS_REMOVED = "assertions_removed"
    ASSERTION_WEAKENED = "assertion_weakened"
    ASSERTION_CHANGED = "assertion_changed"
    HOOK_ADDED = "hook_added"
    PATCH_ADDED = "patch_added"
    TESTS_DESELECTED = "tests_deselected"
    CODE_REACH = "code_reach"


@dataclass(frozen=True)
class Violation:
    """One broken rule in one file, with what exactly was found."""

    path: str
    rule: GuardRule
    detail: str


@dataclass(frozen=True)
class GuardPolicy:
    """What a repository opened: `debug.guard.allow` globs, legacy `allow_ci_edits`, and extra protected paths."""

    allow: tuple[str, ...] = ()
    allow_ci_edits: bool = False
    protected: frozenset[str] = frozenset()  # e.g. `workflow_paths(...)`: scripts the workflows run

    def opens(self, path: str, kind: Protection | None) -> bool:
        """True when the repository opened `path` (teabot's own settings are never opened)."""
        if kind is Protection.BOT_CONFIG:
            return False
        if kind is Protection.CI and self.allow_ci_edits:
            return True
        key = path_key(path)
        return any(_glob(pattern).match(key) for pattern in self.allow)


def check_edits(old: Mapping[str, str | None], new: Mapping[str, str | None], *,
                allow_ci_edits: bool = False, policy: GuardPolicy | None = None) -> list[Violation]:
    """Every rule the change from `old` to `new` breaks (paths in `new`; None = absent); [] when clean."""
    policy = policy or GuardPolicy(allow_ci_edits=allow_ci_edits)
    found: list[Violation] = []
    for path in sorted(new):
        before, after = old.get(path), new[path]
        if before != after:
            found.extend(_check_file(path, before, after, policy))
    return found


def verification_files(original: Mapping[str, str | None], patched: Mapping[str, str | None],
                       protected: Iterable[str] = ()) -> dict[str, str | None]:
    """The files to put back as they were on the failing commit before the run that decides the verdict.

    `patched` holds every file the fix branch changed (all attempts), `original` those files on the
    failing commit (None = absent). Tests, test configuration, CI definitions, start-up files and the
    `protected` paths (scripts the workflows run) go back, a new one is deleted; so does a shared file
    whose test sections changed. {} means the fix commit itself decides.
    """
    protected = frozenset(protected)
    restore: dict[str, str | None] = {}
    for path in sorted(patched):
        before = original.get(path)
        if patched[path] == before:
            continue
        name = path_key(path).rsplit("/", 1)[-1]
        if protection(path) in _RESTORED or path in protected or runner_settings_change(name, before, patched[path]):
            restore[path] = before
    return restore


def workflow_paths(workflow_texts: Iterable[str], tree: Iterable[str]) -> frozenset[str]:
    """The files of `tree` that the workflow definitions name (scripts CI runs), to protect them too."""
    words = {w.removeprefix("./") for text in workflow_texts for w in re.findall(r"[\w.@+-]+(?:/[\w.@+-]+)*", text)}
    return frozenset(path for path in tree if path in words)


def render_violations(violations: list[Violation]) -> str:
    """The reason sent back to the model when the guard refuses its edits ("" when none)."""
    if not violations:
        return ""
    listed = "\n".join(f"- {v.path}: {_RULE_TEXT[v.rule]} ({v.detail})" for v in violations)
    return ("The edits were rejected by the anti-cheat guard and were not pushed; this attempt counts "
            f"against the budget.\n{listed}\nFix the code the failing tests exercise instead. Do not touch tests, "
            "test or CI configuration, or build scripts, and do not add network, secret or test-runner access.")


_RULE_TEXT = {
    GuardRule.PATH_ALIAS: "is not a plain repository path",
    GuardRule.BOT_CONFIG: "edits the bot's own settings",
    GuardRule.PROTECTED_PATH: "edits a file that fixes may not change",
    GuardRule.CI_CONFIG: "edits CI configuration",
    GuardRule.RUNNER_SETTINGS: "edits test-runner settings",
    GuardRule.TEST_DELETED: "deletes a test file",
    GuardRule.TESTS_REMOVED: "removes test cases",
    GuardRule.SKIP_ADDED: "adds a skip, xfail or focus marker",
    GuardRule.ASSERTIONS_REMOVED: "removes assertions from a test file",
    GuardRule.ASSERTION_WEAKENED: "adds an assertion that cannot fail",
    GuardRule.ASSERTION_CHANGED: "changes, removes or neutralises an existing assertion",
    GuardRule.HOOK_ADDED: "adds a pytest hook",
    GuardRule.PATCH_ADDED: "adds monkeypatching to a test file",
    GuardRule.TESTS_DESELECTED: "makes the test runner deselect or ignore tests",
    GuardRule.CODE_REACH: "adds code that reaches outside the fix",
}


def _check_file(path: str, before: str | None, after: str | None, policy: GuardPolicy) -> list[Violation]:
    try:
        normalise_path(path)
    except PathError as exc:
        return [Violation(path, GuardRule.PATH_ALIAS, str(exc))]
    kind = protection(path)
    if kind is Protection.BOT_CONFIG:
        return [Violation(path, GuardRule.BOT_CONFIG, "teabot's settings are changed by people, not by fixes")]
    found = _closed(path, kind, before, after, policy)
    if after is None:
        if patterns.holds_tests(path, before):
            found.append(Violation(path, GuardRule.TEST_DELETED, "the whole file is deleted"))
        return found
    found.extend(_content(path, before or "", after))
    if not path_key(path).endswith(_PROSE):
        found.extend(Violation(path, GuardRule.CODE_REACH, f"{f.what}: {f.line!r}") for f in scan(before, after))
    return found


def _closed(path: str, kind: Protection | None, before: str | None, after: str | None,
            policy: GuardPolicy) -> list[Violation]:
    """The path rules: protected files, and the test sections of shared files, unless opened."""
    if policy.opens(path, kind):
        return []
    if kind is Protection.CI:
        return [Violation(path, GuardRule.CI_CONFIG, "CI definitions are off limits unless debug.guard.allow opens them")]
    if kind is not None or path in policy.protected:
        what = kind.value.replace("_", " ") if kind else "run by the CI workflows"
        return [Violation(path, GuardRule.PROTECTED_PATH, f"{what} files are off limits unless debug.guard.allow opens them")]
    change = runner_settings_change(path_key(path).rsplit("/", 1)[-1], before, after)
    return [Violation(path, GuardRule.RUNNER_SETTINGS, change)] if change else []


def _content(path: str, before: str, after: str) -> list[Violation]:
    """The content rules, for files a repository opened as much as for the others."""
    old_lines, new_lines = patterns.code_lines(before), patterns.code_lines(after)
    found = _more(path, GuardRule.SKIP_ADDED, patterns.SKIP, old_lines, new_lines)
    if is_runner_config(path) or protection(path) is not None:
        found += _more(path, GuardRule.TESTS_DESELECTED, patterns.DESELECT, before.splitlines(), after.splitlines())
    if patterns.holds_tests(path, before) or patterns.holds_tests(path, after):
        found += _tests(path, before, after) + _assertions(path, old_lines, new_lines)
    if path_key(path).endswith(".py"):
        found += _python(path, before, after, found)
    return found


def _python(path: str, before: str, after: str, found: list[Violation]) -> list[Violation]:
    """AST rules: live assertions kept as they were, no new skip, hook or patch (any spelling)."""
    old, new = facts(before), facts(after)
    if old is None or new is None:
        return []
    out = []
    if patterns.holds_tests(path, before) and old.live - new.live:
        lost = next(iter(old.live - new.live))
        out.append(Violation(path, GuardRule.ASSERTION_CHANGED, f"{sum((old.live - new.live).values())} no longer "
                                                           f"checked as before, e.g. {lost[:80]}"))
    if new.skips > old.skips and not any(v.rule is GuardRule.SKIP_ADDED for v in found):
        out.append(Violation(path, GuardRule.SKIP_ADDED, f"{new.skips - old.skips} more skip or ignore references"))
    if new.hooks > old.hooks:
        out.append(Violation(path, GuardRule.HOOK_ADDED, "pytest_* hooks change what runs and what passes"))
    if patterns.holds_tests(path, after) and new.patches > old.patches:
        out.append(Violation(path, GuardRule.PATCH_ADDED, "patching in a test can replace the code under test"))
    return out


def _more(path: str, rule: GuardRule, pattern: re.Pattern[str], old: list[str], new: list[str]) -> list[Violation]:
    if patterns.count(pattern, new) <= patterns.count(pattern, old):
        return []
    return [Violation(path, rule, f"adds {_added(old, new, pattern.search)}")]


def _tests(path: str, before: str, after: str) -> list[Violation]:
    had, has = patterns.test_names(path, before), patterns.test_names(path, after)
    if has.total() >= had.total():
        return []  # renaming a test is fine; fewer tests is not
    names = ", ".join(sorted((had - has).elements())[:8])
    return [Violation(path, GuardRule.TESTS_REMOVED, f"{had.total()} tests before, {has.total()} after: {names}")]


def _assertions(path: str, old: list[str], new: list[str]) -> list[Violation]:
    found = []
    had, has = patterns.count(patterns.ASSERTION, old), patterns.count(patterns.ASSERTION, new)
    if has < had:
        found.append(Violation(path, GuardRule.ASSERTIONS_REMOVED, f"{had} assertions before, {has} after"))
    if sum(map(patterns.is_tautology, new)) > sum(map(patterns.is_tautology, old)):
        found.append(Violation(path, GuardRule.ASSERTION_WEAKENED, f"adds {_added(old, new, patterns.is_tautology)}"))
    return found


def _added(old: list[str], new: list[str], test: Callable[[str], object]) -> str:
    """The first line of `new` that `test` accepts and `old` does not hold as often, quoted."""
    fresh = Counter(line.strip() for line in new) - Counter(line.strip() for line in old)
    return repr(next((ln for ln in (x.strip() for x in new) if fresh[ln] and test(ln)), "")[:100])


def _glob(pattern: str) -> re.Pattern[str]:
    """A `debug.guard.allow` glob as a regex on path keys: `**` crosses folders, `*` and `?` do not."""
    key = path_key(pattern.strip())
    parts = [fnmatch.translate(part)[4:-3] if part != "**" else None for part in key.split("/")]
    regex = "/".join(".*" if p is None else p.replace(".*", "[^/]*") for p in parts).replace(".*/", "(?:.*/)?")
    return re.compile(rf"(?s:{regex})\Z")
