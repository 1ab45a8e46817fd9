"""`teabot triage --run OWNER/REPO/RUN_ID` against the fake Gitea served on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.triage import parse_run
from harness import cast
from harness.cast import Person
from harness.fake_gitea import FakeGitea

REPO = "acme/widget"
TOKEN = "bot-token-0123456789abcdef"
SETUP = "Run actions/checkout@v4\nSyncing repository: acme/widget\ninstalling deps\n"
NOISE = "ERROR: cache server unreachable, continuing without cache\n"   # line 4, in green runs too
GREEN = SETUP + NOISE + "collected 3 items\n3 passed in 0.2s\n"
RED = SETUP + NOISE + ("collected 3 items\n"
               "tests/test_orders.py:14: AssertionError\n"
               "E       assert 2 == 3\n"
               "FAILED tests/test_orders.py::test_total - assert 2 == 3\n"
               "1 failed, 2 passed in 0.3s\n")
LINT = "Run ruff check .\nsrc/app.py:3:1: F401 [*] `os` imported but unused\nFound 1 error.\n"


@pytest.fixture
def gitea() -> Iterator[FakeGitea]:
    fake = FakeGitea("1.26.1")
    cast.seed(fake, REPO, cast=(Person("teabot", "write", TOKEN),),
              files={"README.md": "# widget\n", ".gitea/workflows/ci.yml": "on: [push]\n"})
    fake.start()
    yield fake
    fake.stop()


def invoke(fake: FakeGitea, *args: str) -> tuple[int, str]:
    env = {"TEABOT_GITEA_URL": fake.url, "TEABOT_GITEA_TOKEN": TOKEN, "TEABOT_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(main, ["triage", *args], env=env)
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def red_run(fake: FakeGitea) -> int:
    return fake.add_run(REPO, head_branch="main", conclusion="failure", jobs=[
        {"name": "build", "conclusion": "success", "log": SETUP},
        {"name": "test", "conclusion": "failure", "log": RED},
        {"name": "lint", "conclusion": "failure", "log": LINT},
    ])


def test_each_failed_job_is_triaged_against_the_last_green_run(gitea: FakeGitea) -> None:
    gitea.add_run(REPO, head_branch="main", conclusion="success",
                  jobs=[{"name": "test", "log": GREEN}, {"name": "lint", "log": "Run ruff check .\nAll good\n"}])
    run_id = red_run(gitea)
    code, out = invoke(gitea, "--run", f"{REPO}/{run_id}", "--json")
    assert code == 0, out
    test, lint = (json.loads(line) for line in out.splitlines())
    assert (test["job"], test["baseline"], test["category"]) == ("test", True, "test")
    assert {6, 7, 8} <= set(test["lines"])           # the assertion, its detail and the FAILED line
    assert 4 not in test["lines"]                    # the error line the green run printed too
    assert (lint["job"], lint["category"]) == ("lint", "lint") and 2 in lint["lines"]
    assert set(test) == {"job_id", "job", "baseline", "lines", "excerpt", "category", "fingerprint", "summary"}


def test_readable_report_without_a_green_run(gitea: FakeGitea) -> None:
    run_id = red_run(gitea)
    code, out = invoke(gitea, "--run", f"{REPO}/actions/runs/{run_id}")
    assert code == 0, out
    assert "== job test (#" in out and "baseline: none (no green run found)" in out
    assert "test: " in out and "assert 2 == 3" in out
    assert "4 | ERROR: cache server unreachable" in out   # without a baseline it is not demoted
    assert "== job lint (#" in out and "F401" in out
    assert "== job build" not in out


def test_missing_run_and_bad_reference(gitea: FakeGitea) -> None:
    code, out = invoke(gitea, "--run", f"{REPO}/999")
    assert code == 1 and "cannot triage run 999 of acme/widget" in out
    code, out = invoke(gitea, "--run", "widget-42")
    assert code == 2 and "OWNER/REPO/RUN_ID" in out
    code, out = invoke(gitea, "--run", f"{REPO}/1", "--log", "x.log")
    assert code == 2 and "either --log FILE, --run OWNER/REPO/RUN_ID or --this-run" in out


def test_parse_run() -> None:
    assert parse_run("acme/widget/42") == ("acme/widget", 42)
    assert parse_run("acme/my.repo/actions/runs/7/") == ("acme/my.repo", 7)
