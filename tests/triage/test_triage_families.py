"""Tool-aware triage: one small log per tool family, the cause lines must be in the excerpt."""

from __future__ import annotations

import pytest

from bot.triage import Category, triage

FILLER = "\n".join(f"step output line {i}: all good" for i in range(60))

CASES = {
    "pytest": (
        "collected 12 items\n\ntests/test_a.py ....F.......\n\n"
        "=================================== FAILURES ===================================\n"
        "_________________________________ test_parse __________________________________\n\n"
        "    def test_parse():\n>       assert parse('1') == 2\nE       assert 1 == 2\n"
        "E        +  where 1 = parse('1')\n\ntests/test_a.py:8: AssertionError\n"
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_a.py::test_parse - assert 1 == 2\n"
        "========================= 1 failed, 11 passed in 0.12s =========================\n",
        ["E       assert 1 == 2", "tests/test_a.py:8: AssertionError"], Category.TEST),
    "unittest": (
        "test_add (tests.test_math.MathTest) ... ok\ntest_div (tests.test_math.MathTest) ... FAIL\n\n"
        "======================================================================\n"
        "FAIL: test_div (tests.test_math.MathTest)\n"
        "----------------------------------------------------------------------\n"
        "Traceback (most recent call last):\n  File \"tests/test_math.py\", line 9, in test_div\n"
        "    self.assertEqual(div(4, 2), 3)\nAssertionError: 2 != 3\n\n"
        "----------------------------------------------------------------------\nRan 2 tests in 0.001s\n\n"
        "FAILED (failures=1)\n",
        ["FAIL: test_div (tests.test_math.MathTest)", "AssertionError: 2 != 3"], Category.TEST),
    "go test": (
        "=== RUN   TestAdd\n--- PASS: TestAdd (0.00s)\n=== RUN   TestSplit\n--- FAIL: TestSplit (0.00s)\n"
        "    split_test.go:21: got [a b], want [a b c]\nFAIL\nFAIL\texample.com/split\t0.004s\nFAIL\n",
        ["--- FAIL: TestSplit (0.00s)", "split_test.go:21: got [a b], want [a b c]"], Category.TEST),
    "cargo test": (
        "running 3 tests\ntest tests::adds ... ok\ntest tests::splits ... FAILED\n\nfailures:\n\n"
        "---- tests::splits stdout ----\nthread 'tests::splits' panicked at src/lib.rs:14:9:\n"
        "assertion `left == right` failed\n  left: 2\n right: 3\n\nfailures:\n    tests::splits\n\n"
        "test result: FAILED. 2 passed; 1 failed; 0 ignored\n\nerror: test failed, to rerun pass `--lib`\n",
        ["thread 'tests::splits' panicked at src/lib.rs:14:9:"], Category.TEST),
    "jest": (
        "PASS src/a.test.js\nFAIL src/b.test.js\n  ● sum › adds numbers\n\n"
        "    expect(received).toBe(expected) // Object.is equality\n\n    Expected: 3\n    Received: 4\n\n"
        "      at Object.<anonymous> (src/b.test.js:4:17)\n\nTests:       1 failed, 5 passed, 6 total\n",
        ["  ● sum › adds numbers", "    Expected: 3"], Category.TEST),
    "mocha": (
        "  Parser\n    ✓ parses numbers\n    1) parses strings\n\n\n  1 passing (12ms)\n  1 failing\n\n"
        "  1) Parser\n       parses strings:\n     AssertionError: expected 'a' to equal 'b'\n"
        "      at Context.<anonymous> (test/parser.test.js:9:12)\n\n\n"
        "npm ERR! Test failed.  See above for more details.\n",
        ["AssertionError: expected 'a' to equal 'b'"], Category.TEST),
    "maven surefire": (
        "[INFO] Running com.example.AppTest\n"
        "[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! - in "
        "com.example.AppTest\n[ERROR] testApp(com.example.AppTest)  Time elapsed: 0.01 s  <<< FAILURE!\n"
        "java.lang.AssertionError: expected:<1> but was:<2>\n\tat com.example.AppTest.testApp(AppTest.java:12)\n"
        "[INFO]\n[INFO] Results:\n[INFO]\n[ERROR] Failures:\n[ERROR]   AppTest.testApp:12 expected:<1> but was:<2>\n"
        "[INFO]\n[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0\n[INFO] BUILD FAILURE\n"
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:2.22.2:test (default-test)"
        " on project app: There are test failures.\n",
        ["<<< FAILURE!", "java.lang.AssertionError: expected:<1> but was:<2>"], Category.TEST),
    "gradle": (
        "> Task :app:test FAILED\n\nAppTest > parses() FAILED\n    org.opentest4j.AssertionFailedError at "
        "AppTest.java:14\n\n3 tests completed, 1 failed\n\nFAILURE: Build failed with an exception.\n\n"
        "* What went wrong:\nExecution failed for task ':app:test'.\n> There were failing tests.\n\n* Try:\n",
        ["AppTest > parses() FAILED", "org.opentest4j.AssertionFailedError at AppTest.java:14"], Category.TEST),
    "gcc": (
        "gcc -O2 -Wall -c src/main.c -o build/main.o\n"
        "src/main.c: In function 'main':\nsrc/main.c:12:5: error: 'countt' undeclared (first use in this function)\n"
        "   12 |     countt++;\n      |     ^~~~~~\nmake: *** [Makefile:8: build/main.o] Error 1\n",
        ["src/main.c:12:5: error: 'countt' undeclared (first use in this function)"], Category.COMPILE),
    "javac via maven": (
        "[INFO] Compiling 12 source files to /w/target/classes\n[INFO] -------------------------------------------\n"
        "[ERROR] COMPILATION ERROR : \n[INFO] -------------------------------------------\n"
        "[ERROR] /w/src/main/java/App.java:[27,12] cannot find symbol\n  symbol:   variable lenght\n"
        "  location: class App\n[INFO] 1 error\n",
        ["[ERROR] /w/src/main/java/App.java:[27,12] cannot find symbol", "  symbol:   variable lenght"],
        Category.COMPILE),
    "tsc": (
        "> tsc -p .\n\nsrc/index.ts(4,7): error TS2322: Type 'string' is not assignable to type 'number'.\n"
        "npm ERR! code ELIFECYCLE\nnpm ERR! errno 2\n",
        ["src/index.ts(4,7): error TS2322: Type 'string' is not assignable to type 'number'."], Category.COMPILE),
    "rustc": (
        "   Compiling demo v0.1.0 (/w)\nerror[E0425]: cannot find value `x` in this scope\n --> src/main.rs:2:20\n"
        "  |\n2 |     println!(\"{}\", x);\n  |                    ^ not found in this scope\n\n"
        "error: could not compile `demo` due to previous error\n",
        ["error[E0425]: cannot find value `x` in this scope", " --> src/main.rs:2:20"], Category.COMPILE),
    "pip": (
        "Collecting requests==99.0\n"
        "ERROR: Could not find a version that satisfies the requirement requests==99.0 (from versions: 2.31.0)\n"
        "ERROR: No matching distribution found for requests==99.0\n",
        ["ERROR: No matching distribution found for requests==99.0"], Category.DEPENDENCY),
    "npm": (
        "npm ERR! code ETARGET\nnpm ERR! notarget No matching version found for left-pad@^9.0.0.\n"
        "npm ERR! notarget In most cases you or one of your dependencies are requesting\n"
        "npm ERR! A complete log of this run can be found in:\n",
        ["npm ERR! code ETARGET", "npm ERR! notarget No matching version found for left-pad@^9.0.0."],
        Category.DEPENDENCY),
    "apt": (
        "Reading package lists...\nBuilding dependency tree...\nE: Unable to locate package libfoo-dev\n",
        ["E: Unable to locate package libfoo-dev"], Category.DEPENDENCY),
    "docker": (
        "Step 1/7 : FROM python:3.99-slim\n"
        "Error response from daemon: manifest for python:3.99-slim not found: manifest unknown\n",
        ["Error response from daemon: manifest for python:3.99-slim not found: manifest unknown"], Category.INFRA),
    "flake8": (
        "flake8 src tests\nsrc/app.py:10:1: E302 expected 2 blank lines, found 1\n"
        "src/app.py:22:80: E501 line too long (91 > 79 characters)\n",
        ["src/app.py:10:1: E302 expected 2 blank lines, found 1"], Category.LINT),
    "eslint": (
        "> eslint src\n\n/w/src/a.js\n  3:7  error  'x' is assigned a value but never used  no-unused-vars\n\n"
        "✖ 1 problem (1 error, 0 warnings)\n",
        ["  3:7  error  'x' is assigned a value but never used  no-unused-vars"], Category.LINT),
    "ruff": (
        "ruff check .\nbot/web.py:3:8: F401 [*] `os` imported but unused\nFound 1 error.\n",
        ["bot/web.py:3:8: F401 [*] `os` imported but unused"], Category.LINT),
    "timeout": (
        "Running integration tests\nwaiting for server\n"
        "Error: The operation was canceled. The job running on runner gitea-runner-3 has exceeded the maximum "
        "execution time of 360 minutes.\n",
        ["has exceeded the maximum execution time of 360 minutes."], Category.TIMEOUT),
    "oom": (
        "Building wheels\nc++: fatal error: Killed signal terminated program cc1plus\n"
        "compilation terminated.\n##[error]Process completed with exit code 137.\n",
        ["c++: fatal error: Killed signal terminated program cc1plus"], Category.RESOURCE),
    "erlang common test": (
        "=INFO REPORT==== 5-Jul-2019::07:41:12 ===\n    application: sasl\n    exited: stopped\n\n"
        "=ERROR REPORT==== 5-Jul-2019::07:41:12 ===\n** gen_event handler cth_log_redirect crashed.\n"
        "** Was installed in error_logger\n** Last event was: {info_report,<0.55.0>,\n"
        "                                {<0.31.0>,std_info,[{application,lager}]}}\n"
        "** Reason == {timeout,{gen_server,call,\n                                  [application_controller,\n"
        "                                   which_applications]}}\n\n"
        "=INFO REPORT==== 5-Jul-2019::07:41:12 ===\n    application: kernel\n    exited: stopped\n",
        ["** gen_event handler cth_log_redirect crashed.", "** Reason == {timeout,{gen_server,call,",
         "which_applications]}}"], Category.TEST),
    "runner verdict with a reason": (
        "Testing ejabberd\nTest run failed! Reason:\n{'EXIT',{error,{enoent,\"/build/ebin\"}}}\n\n\nDONE.\n",
        ["Test run failed! Reason:", "{'EXIT',{error,{enoent,"], Category.UNKNOWN),
    "network": (
        "Cloning into 'vendor/lib'...\n"
        "fatal: unable to access 'https://gitea.example/org/lib.git/': Could not resolve host: gitea.example\n",
        ["Could not resolve host: gitea.example"], Category.INFRA),
}


@pytest.mark.parametrize("family", sorted(CASES))
def test_family_cause_is_in_excerpt(family: str) -> None:
    body, wanted, category = CASES[family]
    log = f"{FILLER}\n{body}{FILLER}\nThe command \"make ci\" exited with 1.\n"
    result = triage(log.encode())
    raw = log.split("\n")
    shown = [raw[n - 1] for n in result.lines]
    for needle in wanted:
        assert any(needle in line for line in shown), (needle, shown)
    assert result.category is category
    assert len(result.lines) <= 40


def test_excerpt_is_numbered_by_raw_line() -> None:
    log = b"a\r\nb\rc\nerror: the build broke\nz\n"
    result = triage(log)
    assert 3 in result.lines
    assert "3 | error: the build broke" in result.excerpt.splitlines()


def test_summary_is_one_redacted_line() -> None:
    log = b"ok\nfatal: could not read from https://bot:hunter2@gitea.example/org/repo.git\n"
    result = triage(log)
    assert "\n" not in result.summary
    assert "hunter2" not in result.summary and "hunter2" not in result.excerpt
