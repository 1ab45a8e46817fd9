"""The composite action: read action.yml, run its steps as a runner would, check what the fake Gitea got.

The steps run with `install: "false"` and the project's .venv on PATH: building teabot in a fresh
virtualenv needs setuptools>=77 from a package index, which tests do not reach. The install
step's shell is still parsed (`bash -n`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.fake_gitea import FakeGitea
from tests.conftest import REPO_ROOT
from tests.test_steps import (  # noqa: F401  (fixtures)
    BOT, BOT_TOKEN, JOB_TOKEN, REPO, SECRET, actions_env, bot_comments, comment_event_file, failing_run, fake,
    push_event, receiver, run_event_file, writes,
)

ACTION = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
EXAMPLES = sorted((REPO_ROOT / ".gitea" / "examples").glob("*.yml"))
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def evaluate(text: str, inputs: dict[str, str], context: dict[str, str]) -> str:
    """Substitute the `${{ ... }}` expressions action.yml may use: inputs.*, github.*, runner.*, and `a == 'b'`."""

    def value(expression: str) -> str:
        if match := re.fullmatch(r"inputs\.([\w-]+) == '([^']*)'", expression):
            return "true" if value(f"inputs.{match[1]}") == match[2] else "false"
        if expression.startswith("inputs."):
            name = expression.removeprefix("inputs.")
            assert name in ACTION["inputs"], f"action.yml uses the undeclared input {name!r}"
            return inputs.get(name, evaluate(str(ACTION["inputs"][name].get("default", "")), {}, context))
        assert expression in context, f"action.yml uses an expression this test does not evaluate: {expression}"
        return context[expression]

    return EXPRESSION.sub(lambda m: value(m[1]), text)


def run_action(inputs: dict[str, str], job_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run the action's steps in order, as a runner does: `if:` decides, `env:` and `run:` are evaluated."""
    context = {"github.token": job_env.get("GITEA_TOKEN", ""), "github.action_path": str(REPO_ROOT),
               "runner.temp": str(tmp_path / "runner-temp")}
    base = {**job_env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    base.pop("GITEA_TOKEN", None)  # a runner does not export the job's token; the action passes it on
    result = subprocess.CompletedProcess([], 0, "", "")
    for step in ACTION["runs"]["steps"]:
        if evaluate(step.get("if", "true"), inputs, context) != "true":
            continue
        env = {**base, **{k: evaluate(str(v), inputs, context) for k, v in step.get("env", {}).items()}}
        result = subprocess.run(["bash", "-c", evaluate(step["run"], inputs, context)], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            break
    return result


def test_action_and_examples_match_their_schemas() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    for schema, files in (("vendor.github-actions", [REPO_ROOT / "action.yml"]), ("vendor.github-workflows", EXAMPLES)):
        done = subprocess.run([str(checker), "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    assert ACTION["runs"]["using"] == "composite" and ACTION["inputs"]["command"]["required"] is True


def test_every_step_is_valid_bash() -> None:
    for step in ACTION["runs"]["steps"]:
        done = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True)
        assert done.returncode == 0, f"{step['name']}: {done.stderr}"


@pytest.mark.parametrize(("example", "trigger", "command"), [
    ("teabot-plan.yml", "issue_comment", "plan"), ("teabot-triage.yml", "push", "triage"),
    ("teabot-debug.yml", "workflow_run", "debug"),
])
def test_examples_use_the_action(example: str, trigger: str, command: str) -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".gitea" / "examples" / example).read_text())
    assert trigger in workflow[True]  # YAML reads the key `on` as True
    [step] = [s for job in workflow["jobs"].values() for s in job["steps"] if "teabot" in s.get("uses", "")]
    assert step["with"]["command"] == command and set(step["with"]) <= set(ACTION["inputs"])


def test_triage_example_runs_in_its_own_job_after_a_failure() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".gitea" / "examples" / "teabot-triage.yml").read_text())
    triage = workflow["jobs"]["triage"]
    assert triage["needs"] == ["test"] and "failure()" in triage["if"]
    debug = yaml.safe_load((REPO_ROOT / ".gitea" / "examples" / "teabot-debug.yml").read_text())
    assert debug[True]["workflow_run"]["types"] == ["completed"] and "failure" in debug["jobs"]["debug"]["if"]


def test_action_triage_comments_on_the_pull_request(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, sha = push_event(fake, tmp_path)
    pull = fake.add_issue(REPO, "Add limiter", author="alice", is_pull=True, head="feature")
    env = actions_env(fake, event_file, "push", run_id=failing_run(fake, sha), sha=sha)
    done = run_action({"command": "triage", "install": "false"}, env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    [body] = bot_comments(fake, pull, "gitea-actions")
    assert "E       AssertionError: assert True is False" in body and "`triage` (this job)" in body


def test_action_plan_with_a_bot_token(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, number = comment_event_file(fake, tmp_path, "/plan")
    env = actions_env(fake, event_file, "issue_comment")
    done = run_action({"command": "plan", "install": "false", "gitea-token": BOT_TOKEN}, env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    [plan] = bot_comments(fake, number, BOT)
    assert "## PI plan v1" in plan


def test_action_debug_hands_the_run_to_the_server(fake: FakeGitea, tmp_path: Path, receiver) -> None:
    url, queue = receiver
    event_file, run_id = run_event_file(tmp_path)
    env = actions_env(fake, event_file, "workflow_run")
    done = run_action({"command": "debug", "install": "false", "server-url": url, "webhook-secret": SECRET}, env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    [request] = queue.requests
    assert request.kwargs["run_id"] == run_id and "202 queued" in done.stdout


def test_action_dry_run_writes_nothing(fake: FakeGitea, tmp_path: Path) -> None:
    event_file, sha = push_event(fake, tmp_path)
    env, mark = actions_env(fake, event_file, "push", run_id=failing_run(fake, sha), sha=sha), len(fake.requests)
    done = run_action({"command": "triage", "install": "false", "dry-run": "true", "args": "--max-lines 5"}, env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "would set commit status teabot/triage" in done.stdout and not writes(fake, mark)


def test_action_refuses_an_unknown_command(tmp_path: Path) -> None:
    done = run_action({"command": "deploy", "install": "false"}, {"GITEA_TOKEN": JOB_TOKEN}, tmp_path)
    assert done.returncode == 2 and "::error::teabot: the command input must be triage, plan or debug" in done.stdout
