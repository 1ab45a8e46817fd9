"""Shape families: failure lines recognised by form, on small synthetic lines and logs."""

from __future__ import annotations

from functools import partial

import pytest

from bot.triage import Category, triage
from bot.triage.families import FAMILIES, family_score
from bot.triage.rules import score

EXTRA = partial(family_score, FAMILIES)
STRONG = 5.5     # selection.ANCHOR: a line scoring this much opens a block

# (line, category it must get, strong enough to open a block)
LINES = [
    ("lib/util.js:14:3 ✖ no-unused-vars", Category.LINT, True),
    ("docs/guide.md:88:1 MD013/line-length Line length", Category.LINT, True),
    ("src/mod.lua: 12: W211 unused variable 'x'", Category.LINT, True),
    ("app/models/user.rb:7:1 [Style/Indent] bad indent", Category.LINT, True),
    ("./cmd/main.go:12:5: undefined: fooBar", Category.COMPILE, True),
    ("pkg/x/y.go:3:2: imported and not used: \"os\"", Category.COMPILE, True),
    ("Sources/App/View.swift:40:9: cannot convert value of type 'Int'", Category.COMPILE, True),
    ("[-] parses empty input", Category.TEST, True),
    ("[FAIL] widget renders", Category.TEST, True),
    ("  ✘ rejects a bad token", Category.TEST, True),
    ("Failure:", Category.TEST, True),
    ("Failed examples:", Category.TEST, True),
    ("Expected 3 but got 4", Category.TEST, True),
    ("EXPECTED value TO BE 3, BUT GOT 4", Category.TEST, True),
    ("expected: [1, 2] received: [2, 1]", Category.TEST, True),
    ("lua: spec/parser_spec.lua:10: attempt to index a nil value", Category.TEST, True),
    ("stack traceback:", Category.TEST, True),
    ("Uncaught TypeError: x is not a function", Category.TEST, True),
    ("worker-1: RuntimeError: queue closed", Category.TEST, True),
    ("ls: illegal option -- z", Category.CONFIG, True),
    ("[ERROR] Plugin org.example:build-plugin:1.0 or one of its dependencies could not be resolved",
     Category.DEPENDENCY, True),
    ("error: could not download package left-pad-1.2 from the index", Category.DEPENDENCY, True),
    ("Error resolving version for plugin 'org.example:site-plugin' from the repositories", Category.DEPENDENCY, True),
]

# lines that must stay quiet: ordinary progress, passing tests, warnings
QUIET = [
    "checked file 3",
    "Compiling foo v0.1.0",
    "[info] - test passes",
    "all 12 tests passed",
    "10:20:40.602 [warning] Module mod_a is recommended for module mod_b but is not found in the config",
    "Downloading https://example.org/pkg-1.0.tgz",
]


@pytest.mark.parametrize(("text", "category", "strong"), LINES, ids=[t for t, _, _ in LINES])
def test_failure_shapes_are_recognised(text: str, category: Category, strong: bool) -> None:
    weight, found = score(text, EXTRA)
    assert found is category
    assert (weight >= STRONG) is strong


@pytest.mark.parametrize("text", QUIET)
def test_ordinary_lines_stay_quiet(text: str) -> None:
    assert score(text, EXTRA)[0] < STRONG


def test_families_can_be_left_out() -> None:
    assert score("[-] parses empty input", None)[0] == 0
    assert triage(b"[-] parses empty input\n", families=()).lines == (1,)      # still the last words


FILLER = [f"step output {i}: fine" for i in range(30)]


def _log(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_go_build_failure_is_a_compile_error() -> None:
    result = triage(_log(*FILLER, "$ go build ./...", "# example.com/app/cmd", "./cmd/main.go:12:5: undefined: fooBar",
                         "./cmd/main.go:20:2: too many arguments in call to run", 'The command "go build ./..." exited with 1.'))
    assert result.category is Category.COMPILE
    assert {33, 34} <= set(result.lines)


def test_build_plugin_resolution_is_a_dependency_failure() -> None:
    result = triage(_log(*FILLER, "[INFO] BUILD FAILURE",
                         "[ERROR] Plugin org.example:build-plugin:1.0 or one of its dependencies could not be resolved: "
                         "Failed to read artifact descriptor for org.example:build-plugin:jar:1.0",
                         "[ERROR] -> [Help 1]"))
    assert result.category is Category.DEPENDENCY


def test_lua_traceback_is_taken_whole() -> None:
    result = triage(_log(*FILLER, "lua: spec/parser_spec.lua:10: attempt to index a nil value (local 'node')",
                         "stack traceback:", "\t[C]: in ?", "\tspec/parser_spec.lua:10: in function 'walk'",
                         "\tspec/parser_spec.lua:30: in main chunk", "Process completed with exit code 1."))
    assert set(range(31, 37)) <= set(result.lines)


def test_usage_text_after_an_illegal_option_stays_with_it() -> None:
    result = triage(_log(*FILLER, "$ ./release.sh -z", "release.sh: illegal option -- z",
                         "usage: release.sh [-n] [-v] version", "    -n  dry run", "    -v  verbose",
                         'The command "./release.sh -z" exited with 2.'))
    assert {32, 33, 34, 35, 36} <= set(result.lines)
    assert result.category is Category.CONFIG


def test_a_numbered_link_report_is_one_block() -> None:
    report = [f"  {i}. https://example.org/page-{i} → 404" for i in range(1, 9)]
    result = triage(_log(*FILLER, "Found 8 broken links:", *report, "Process completed with exit code 1."))
    assert set(range(32, 40)) <= set(result.lines)


def test_an_error_the_job_recovered_from_is_not_the_cause() -> None:
    early = ["Downloading runtime 3.1.4 ...", "ERROR: download failed: 404 Not Found", "falling back to the system runtime"]
    late = ["$ make check", "widget.c:88: assertion failed: size == 4", "make: *** [check] Error 1"]
    result = triage(_log(*early, *FILLER, *late, "Process completed with exit code 2."))
    assert result.summary.startswith("test: widget.c:88: assertion failed")


def test_the_budget_goes_to_the_lines_before_the_exit() -> None:
    steps = [f"processing record {i}" for i in range(100)]
    result = triage(_log("$ ./check-data.sh", *steps, "record 97 disagrees with the schema", "Process completed with exit code 1."),
                    max_lines=40)
    assert result.lines[-1] == 103                     # the exit line is always kept
    assert len(result.lines) == 40
    assert set(range(64, 104)) == set(result.lines)


def test_a_key_line_is_not_hidden_in_a_cut_excerpt() -> None:
    noise = [f"  ok {i} - case {i}" for i in range(60)]
    body = ["# Subtest: parser", *noise[:30], "  not ok 31 - parses dates", "    ---",
            "    error: 'Expected values to be strictly equal'", *noise[30:], "# fail 1"]
    result = triage(_log(*body), max_lines=12)
    assert "not ok 31 - parses dates" in result.excerpt


def test_a_report_goes_on_past_interleaved_progress_lines_and_unindented_detail() -> None:
    report = ["Failures:", "1) Widget spins backwards", "Downloading cache-layer 3/7",
              "  expected: clockwise", "  got: counter-clockwise", "2) Widget stops early",
              "  expected: 10 turns", "  got: 3 turns"]
    log = _log(*[f"compiling module {i}" for i in range(300)], *report, *FILLER, "Process completed with exit code 1.")
    result = triage(log, max_lines=20)
    assert set(range(301, 309)) <= set(result.lines)


def test_a_go_test_assertion_is_not_a_compile_error() -> None:
    result = triage(_log(*FILLER, "--- FAIL: TestOrder (0.00s)", "    order_test.go:31: expected 'a' but actual is 'b'",
                         "FAIL", "FAIL\texample.com/order\t0.004s", "Process completed with exit code 1."))
    assert result.category is Category.TEST
