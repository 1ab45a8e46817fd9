"""The anti-cheat guard: each rule is caught, legitimate fixes pass."""

from __future__ import annotations

import pytest

from bot.debug.core.guard import GuardPolicy, GuardRule, Violation, check_edits, render_violations
from bot.debug.core.paths import is_ci_config, is_runner_config, is_test_path, language, workflow_stem
from bot.debug.core import patterns
from bot.debug.core.patterns import code_lines, holds_tests, is_tautology

PY_TEST = """import pytest
from calc import add


def test_add():
    assert add(2, 3) == 5


def test_add_negative():
    assert add(-1, -1) == -2
"""
JS_TEST = """const { add } = require('../src/calc');

describe('add', () => {
  it('adds', () => {
    expect(add(2, 3)).toBe(5);
  });
  test('adds negatives', () => {
    expect(add(-1, -1)).toBe(-2);
  });
});
"""
GO_TEST = """package calc

import "testing"

func TestAdd(t *testing.T) {
\tif Add(2, 3) != 5 {
\t\tt.Errorf("Add(2, 3) = %d", Add(2, 3))
\t}
}

func TestSub(t *testing.T) {
\tif Sub(3, 2) != 1 {
\t\tt.Fatal("Sub")
\t}
}
"""
JAVA_TEST = """package calc;

import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CalcTest {
    @Test
    void adds() {
        assertEquals(5, Calc.add(2, 3));
    }

    @Test
    void subtracts() {
        assertEquals(1, Calc.sub(3, 2));
    }
}
"""
RUST_SRC = """pub fn add(a: i32, b: i32) -> i32 {
    a - b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        assert_eq!(add(2, 3), 5);
    }

    #[test]
    fn adds_zero() {
        assert_eq!(add(2, 0), 2);
    }
}
"""
OLD = {"tests/test_calc.py": PY_TEST, "test/calc.test.js": JS_TEST, "calc_test.go": GO_TEST,
       "src/test/java/calc/CalcTest.java": JAVA_TEST, "src/lib.rs": RUST_SRC,
       "src/calc.py": "def add(a, b):\n    return a - b\n", "pytest.ini": "[pytest]\naddopts = -ra\n",
       ".gitea/workflows/ci.yml": "on: push\n", "pyproject.toml": "[tool.pytest.ini_options]\naddopts = \"-ra\"\n"}


# The content rules below apply where a repository opened tests with `debug.guard.allow`;
# by default any change to a test or runner file is refused outright (tests/security/).
OPEN = GuardPolicy(allow=("**",))


def _rules(path: str, new_text: str | None, **options) -> list[GuardRule]:
    options = options or {"policy": OPEN}
    return [v.rule for v in check_edits(OLD, {path: new_text}, **options)]


# --- legitimate fixes pass ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, new_text", [
    ("src/calc.py", "def add(a, b):\n    return a + b\n"),
    ("src/lib.rs", RUST_SRC.replace("    a - b\n", "    a + b\n")),
    ("src/new_helper.py", "def helper():\n    assert True  # product code may assert what it likes\n"),
    ("tests/test_calc.py", PY_TEST.replace("assert add(2, 3) == 5", "assert add(2, 3) == 5, 'sum'")),
    ("tests/test_calc.py", PY_TEST.replace("def test_add():", "def test_add_two_numbers():")),
    ("tests/test_calc.py", PY_TEST + "\n\ndef test_add_zero():\n    assert add(0, 0) == 0\n"),
    ("test/calc.test.js", JS_TEST.replace("toBe(5)", "toBe(5); expect(add(1, 1)).toBe(2)")),
    ("pytest.ini", "[pytest]\naddopts = -ra -q\n"),
    ("tests/fixtures/new.json", "{}"),
])
def test_legitimate_edits_pass(path, new_text):
    assert check_edits(OLD, {path: new_text}, policy=OPEN) == []


def test_removed_tests_are_named():
    violations = check_edits(OLD, {"tests/test_calc.py": PY_TEST.split("\n\ndef test_add_negative")[0] + "\n"},
                             policy=OPEN)
    assert violations[0].detail == "2 tests before, 1 after: test_add_negative"


def test_unchanged_files_are_not_checked():
    assert check_edits({"tests/test_calc.py": PY_TEST}, {"tests/test_calc.py": PY_TEST}) == []


# --- each rule ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, new_text, rules", [
    ("tests/test_calc.py", None, [GuardRule.TEST_DELETED]),
    ("src/lib.rs", None, [GuardRule.TEST_DELETED]),
    ("tests/test_calc.py", PY_TEST.split("\n\ndef test_add_negative")[0] + "\n",
     [GuardRule.TESTS_REMOVED, GuardRule.ASSERTIONS_REMOVED, GuardRule.ASSERTION_CHANGED]),
    ("tests/test_calc.py", PY_TEST.replace("def test_add():", "def _test_add():"), [GuardRule.TESTS_REMOVED]),
    ("tests/test_calc.py", PY_TEST.replace('def test_add_negative():\n    assert add(-1, -1) == -2\n',
                                           '"""\ndef test_add_negative():\n    assert add(-1, -1) == -2\n"""\n'),
     [GuardRule.TESTS_REMOVED, GuardRule.ASSERTIONS_REMOVED, GuardRule.ASSERTION_CHANGED]),
    ("calc_test.go", GO_TEST.split("\nfunc TestSub")[0], [GuardRule.TESTS_REMOVED, GuardRule.ASSERTIONS_REMOVED]),
    ("test/calc.test.js", JS_TEST.replace("  test('adds negatives'", "  xtest('adds negatives'"),
     [GuardRule.TESTS_REMOVED, GuardRule.SKIP_ADDED]),
    ("src/test/java/calc/CalcTest.java", JAVA_TEST.replace("    @Test\n    void subtracts", "    void subtracts"),
     [GuardRule.TESTS_REMOVED]),
    ("src/lib.rs", RUST_SRC.replace("    #[test]\n    fn adds_zero", "    fn adds_zero"), [GuardRule.TESTS_REMOVED]),
])
def test_deleting_or_removing_tests_is_caught(path, new_text, rules):
    assert sorted(_rules(path, new_text)) == sorted(rules)


@pytest.mark.parametrize("path, marker", [
    ("tests/test_calc.py", "@pytest.mark.skip(reason='later')\n"),
    ("tests/test_calc.py", "@pytest.mark.skipif(True, reason='x')\n"),
    ("tests/test_calc.py", "@pytest.mark.xfail\n"),
    ("tests/test_calc.py", "@unittest.skip('x')\n"),
])
def test_python_skip_decorators_are_caught(path, marker):
    new_text = PY_TEST.replace("def test_add():", marker + "def test_add():")
    violations = check_edits(OLD, {path: new_text}, policy=OPEN)
    assert [v.rule for v in violations] == [GuardRule.SKIP_ADDED]
    assert violations[0].detail == f"adds {marker.strip()!r}"


@pytest.mark.parametrize("path, old, new", [
    ("tests/test_calc.py", "    assert add(2, 3) == 5", "    pytest.skip('flaky')\n    assert add(2, 3) == 5"),
    ("tests/test_calc.py", "    assert add(2, 3) == 5", "    pytest.xfail('x')\n    assert add(2, 3) == 5"),
    ("test/calc.test.js", "  it('adds'", "  it.skip('adds'"),
    ("test/calc.test.js", "describe('add'", "describe.skip('add'"),
    ("test/calc.test.js", "  it('adds'", "  it.only('adds'"),
    ("calc_test.go", "\tif Add(2, 3) != 5 {", "\tt.Skip(\"later\")\n\tif Add(2, 3) != 5 {"),
    ("src/lib.rs", "    #[test]\n    fn adds()", "    #[test]\n    #[ignore]\n    fn adds()"),
    ("src/test/java/calc/CalcTest.java", "    @Test\n    void adds", "    @Disabled\n    @Test\n    void adds"),
    ("src/test/java/calc/CalcTest.java", "    @Test\n    void adds", "    @Ignore\n    @Test\n    void adds"),
])
def test_skips_in_every_language_are_caught(path, old, new):
    assert OLD[path].count(old) == 1
    assert GuardRule.SKIP_ADDED in _rules(path, OLD[path].replace(old, new))


@pytest.mark.parametrize("path, old, new", [
    ("tests/test_calc.py", "assert add(2, 3) == 5", "assert True"),
    ("tests/test_calc.py", "assert add(2, 3) == 5", "assert add(2, 3) == add(2, 3)"),
    ("tests/test_calc.py", "assert add(2, 3) == 5", "assert add(2, 3) == 5 or True"),
    ("test/calc.test.js", "expect(add(2, 3)).toBe(5)", "expect(add(2, 3)).toBe(add(2, 3))"),
    ("test/calc.test.js", "expect(add(2, 3)).toBe(5)", "expect(true).toBe(true)"),
    ("src/test/java/calc/CalcTest.java", "assertEquals(5, Calc.add(2, 3))", "assertEquals(5, 5)"),
    ("src/lib.rs", "assert_eq!(add(2, 3), 5)", "assert!(true)"),
])
def test_tautologies_replacing_assertions_are_caught(path, old, new):
    assert _rules(path, OLD[path].replace(old, new))[0] == GuardRule.ASSERTION_WEAKENED


@pytest.mark.parametrize("path, old, new", [
    ("tests/test_calc.py", "    assert add(2, 3) == 5", "    add(2, 3)"),
    ("tests/test_calc.py", "    assert add(2, 3) == 5", "    # assert add(2, 3) == 5\n    pass"),
    ("test/calc.test.js", "    expect(add(2, 3)).toBe(5);", "    // expect(add(2, 3)).toBe(5);"),
    ("calc_test.go", '\t\tt.Fatal("Sub")', "\t\treturn"),
    ("src/test/java/calc/CalcTest.java", "        assertEquals(1, Calc.sub(3, 2));", "        Calc.sub(3, 2);"),
])
def test_removed_assertions_are_caught(path, old, new):
    violations = check_edits(OLD, {path: OLD[path].replace(old, new)}, policy=OPEN)
    assert GuardRule.ASSERTIONS_REMOVED in [v.rule for v in violations]
    assert violations[0].detail.endswith("after")


@pytest.mark.parametrize("path, new_text, allowed, rules", [
    (".gitea/workflows/ci.yml", "on: [push]\n", False, [GuardRule.CI_CONFIG]),
    (".gitea/workflows/ci.yml", "on: [push]\n", True, []),
    (".github/workflows/test.yaml", "on: push\n", False, [GuardRule.CI_CONFIG]),
    (".gitlab-ci.yml", "test: {}\n", False, [GuardRule.CI_CONFIG]),
    ("Jenkinsfile", "pipeline {}\n", False, [GuardRule.CI_CONFIG]),
    (".circleci/config.yml", "x\n", False, [GuardRule.CI_CONFIG]),
    (".gitea/workflows/ci.yml", None, False, [GuardRule.CI_CONFIG]),
    (".gitea/teabot.yaml", "debug: {allow_ci_edits: true}\n", True, [GuardRule.BOT_CONFIG]),
])
def test_ci_and_bot_config_edits(path, new_text, allowed, rules):
    assert _rules(path, new_text, allow_ci_edits=allowed) == rules


@pytest.mark.parametrize("path, new_text", [
    ("pytest.ini", "[pytest]\naddopts = -ra --deselect tests/test_calc.py::test_add\n"),
    ("pytest.ini", "[pytest]\naddopts = -ra\n    --ignore=tests/test_calc.py\n"),
    ("pytest.ini", "[pytest]\naddopts = -ra -k \"not test_add\"\n"),
    ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = \"-ra --ignore-glob=tests/*\"\n"),
    ("tox.ini", "[testenv]\ncommands = pytest -k 'not slow and not add'\n"),
    ("setup.cfg", "[tool:pytest]\naddopts = --deselect tests/test_calc.py\n"),
    ("tests/conftest.py", "collect_ignore = ['test_calc.py']\n"),
    ("package.json", '{"jest": {"testPathIgnorePatterns": ["calc"]}}'),
])
def test_runner_config_that_deselects_tests_is_caught(path, new_text):
    assert GuardRule.TESTS_DESELECTED in _rules(path, new_text)


def test_render_violations_lists_each_and_explains():
    text = render_violations([Violation("tests/test_calc.py", GuardRule.SKIP_ADDED, "adds '@pytest.mark.skip'"),
                              Violation(".gitea/workflows/ci.yml", GuardRule.CI_CONFIG, "CI files are off limits")])
    assert text.startswith("The edits were rejected by the anti-cheat guard")
    assert "- tests/test_calc.py: adds a skip, xfail or focus marker (adds '@pytest.mark.skip')" in text
    assert "- .gitea/workflows/ci.yml: edits CI configuration" in text
    assert "counts against the budget" in text
    assert render_violations([]) == ""


# --- helpers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("tests/test_x.py", True), ("test_x.py", True), ("pkg/x_test.py", True), ("conftest.py", True),
    ("x_test.go", True), ("src/a.spec.ts", True), ("src/a.test.jsx", True), ("src/__tests__/a.js", True),
    ("src/test/java/a/FooTest.java", True), ("spec/models/user_spec.rb", True), ("src/calc.py", False),
    ("src/testing_utils.py", False), ("docs/test.md", False), ("src/contest.py", False),
])
def test_test_paths(path, expected):
    assert is_test_path(path) is expected


def test_path_classifiers():
    assert is_ci_config("sub/Jenkinsfile") and is_ci_config(".forgejo/workflows/a.yml")
    assert not is_ci_config(".gitea/ISSUE_TEMPLATE/bug.md")
    assert is_runner_config("sub/tox.ini") and not is_runner_config("src/app.py")
    assert [language(p) for p in ("a.py", "b.tsx", "c.RS", "d.txt")] == ["python", "js", "rust", ""]
    assert [workflow_stem(w) for w in (".gitea/workflows/CI Tests.yaml", "build.yml", "..", "a--b..c.YML")] == \
        ["ci-tests", "build", "workflow", "a-b.c"]


def test_pattern_helpers():
    assert code_lines("x = 1\n# assert y\n/* assert z\n*/\n'''\nassert w\n'''\n  // assert v\nassert u") == \
        ["x = 1", "assert u"]
    assert holds_tests("src/lib.rs", RUST_SRC) and not holds_tests("src/lib.rs", "fn main() {}")
    assert not holds_tests("src/main.rs", None)
    assert patterns.test_names("README.md", "def test_x(): pass") == {}
    assert patterns.test_names("test/a.test.js", "it(name, () => {})\nit('', () => {})") == {"<unnamed>": 2}
    ruby = "it 'works' do\nend\ndef test_old\nend"
    assert sorted(patterns.test_names("spec/a_spec.rb", ruby)) == ["test_old", "works"]
    assert [is_tautology(x) for x in ("assert x == y", "assert not False", "assert.True(t, true)",
                                      "self.assertEqual(a.b, a.b)", "assertThat(x).isEqualTo(x)")] == \
        [False, True, True, True, True]
