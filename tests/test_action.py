"""The composite action: read action.yml, run its steps as a runner would, check what the fake Gitea got.

The steps run with `install: "false"` and the project's .venv on PATH: building teabot in a fresh
virtualenv needs setuptools>=77 from a package index, which tests do not reach. The install
step's shell is still parsed (`bash -n`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.fake_gitea import FakeGitea
from tests.conftest import REPO_ROOT
from tests.test_steps import (  # noqa: F401  (fixtures)
    BOT, BOT_TOKEN, JOB_TOKEN, HANDOVER_TOKEN, REPO, actions_env, bot_comments, comment_event_file, failing_run, fake,
    push_event, receiver, run_event_file, writes,
)

ACTION = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
EXAMPLES = sorted(p for p in (REPO_ROOT / ".gitea" / "examples").glob("*.yml") if not p.stem.endswith("-job"))
TRIAGE_JOB = REPO_ROOT / ".gitea" / "examples" / "teabot-triage-job.yml"


def with_triage_job(workflow: dict) -> dict:
    """A user's CI workflow with the example triage job pasted under `jobs:`."""
    return {**workflow, "jobs": {**workflow["jobs"], **yaml.safe_load(TRIAGE_JOB.read_text())}}
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def evaluate(text: str, inputs: dict[str, str], context: dict[str, str],
             outputs: dict[str, dict[str, str]] | None = None) -> str:
    """Substitute the `${{ ... }}` expressions action.yml uses: inputs.*, steps.*.outputs.*, github.*, runner.*,
    `a == 'b'`, `a != 'b'` and `&&`."""
    outputs = outputs or {}

    def value(expression: str) -> str:
        if "&&" in expression:
            return "true" if all(value(part.strip()) == "true" for part in expression.split("&&")) else "false"
        if match := re.fullmatch(r"(\S+) (==|!=) '([^']*)'", expression):
            equal = value(match[1]) == match[3]
            return "true" if equal == (match[2] == "==") else "false"
        if match := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return outputs.get(match[1], {}).get(match[2], "")
        if expression.startswith("inputs."):
            name = expression.removeprefix("inputs.")
            assert name in ACTION["inputs"], f"action.yml uses the undeclared input {name!r}"
            return inputs.get(name, evaluate(str(ACTION["inputs"][name].get("default", "")), {}, context))
        assert expression in context, f"action.yml uses an expression this test does not evaluate: {expression}"
        return context[expression]

    return EXPRESSION.sub(lambda m: value(m[1]), text)


def run_action(inputs: dict[str, str], job_env: dict[str, str], tmp_path: Path, *, path: str | None = None,
               uses: dict[str, dict[str, str]] | None = None, until: str | None = None) -> subprocess.CompletedProcess:
    """Run the action's steps in order, as a runner does: `if:` decides, `env:` and `run:` are evaluated.

    `uses:` steps are not run; `uses` gives the outputs each would have (by action name), and `until`
    stops after the step with that id. `path` replaces PATH (default: the project's venv first).
    """
    context = {"github.token": job_env.get("GITEA_TOKEN", ""), "github.action_path": str(REPO_ROOT),
               "runner.temp": str(tmp_path / "runner-temp")}
    base = {**job_env, "PATH": path or f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp_path)}
    base.pop("GITEA_TOKEN", None)  # a runner does not export the job's token; the action passes it on
    outputs: dict[str, dict[str, str]] = {}
    result = subprocess.CompletedProcess([], 0, "", "")
    for step in ACTION["runs"]["steps"]:
        if evaluate(step.get("if", "true"), inputs, context, outputs) != "true":
            continue
        if "uses" in step:
            outputs[step.get("id", "")] = (uses or {}).get(step["uses"].split("@")[0], {})
            continue
        output_file = tmp_path / f"output-{step.get('id', 'step')}"
        output_file.write_text("")
        env = {**base, **{k: evaluate(str(v), inputs, context, outputs) for k, v in step.get("env", {}).items()},
               "GITHUB_OUTPUT": str(output_file)}
        result = subprocess.run(["/bin/bash", "-c", evaluate(step["run"], inputs, context, outputs)], env=env,
                                cwd=tmp_path, capture_output=True, text=True, timeout=120)
        outputs[step.get("id", "")] = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
        result.outputs = outputs  # type: ignore[attr-defined]
        if result.returncode != 0 or step.get("id") == until:
            break
    return result


def test_action_and_examples_match_their_schemas() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    for schema, files in (("vendor.github-actions", [REPO_ROOT / "action.yml"]), ("vendor.github-workflows", EXAMPLES)):
        done = subprocess.run([str(checker), "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    assert ACTION["runs"]["using"] == "composite" and ACTION["inputs"]["command"]["required"] is True


def test_every_step_is_valid_bash() -> None:
    for step in (s for s in ACTION["runs"]["steps"] if "run" in s):
        done = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True)
        assert done.returncode == 0, f"{step['name']}: {done.stderr}"


@pytest.mark.parametrize(("example", "trigger", "command"), [
    ("teabot-plan.yml", "issue_comment", "plan"), ("teabot-debug.yml", "workflow_run", "debug"),
])
def test_examples_use_the_action(example: str, trigger: str, command: str) -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".gitea" / "examples" / example).read_text())
    assert trigger in workflow[True]  # YAML reads the key `on` as True
    [step] = [s for job in workflow["jobs"].values() for s in job["steps"] if "teabot" in s.get("uses", "")]
    assert step["with"]["command"] == command and set(step["with"]) <= set(ACTION["inputs"])


def test_the_triage_example_is_a_job_to_paste_into_any_ci_workflow(tmp_path: Path) -> None:
    fragment = yaml.safe_load(TRIAGE_JOB.read_text())
    assert list(fragment) == ["triage"]  # one job, no `name: ci`, no `on:`
    triage = fragment["triage"]
    assert triage["needs"] == ["test"] and "failure()" in triage["if"]
    [step] = triage["steps"]
    assert step["with"]["command"] == "triage" and set(step["with"]) <= set(ACTION["inputs"])
    users_ci = {"name": "build", "on": ["push", "pull_request"],
                "jobs": {"test": {"runs-on": "ubuntu-latest", "steps": [{"run": "make test"}]}}}
    merged = tmp_path / "build.yml"
    merged.write_text(yaml.safe_dump(with_triage_job(users_ci)))
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", str(merged)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

def test_the_debug_example_starts_for_failed_runs_only() -> None:
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
    done = run_action({"command": "debug", "install": "false", "server-url": url, "handover-token": HANDOVER_TOKEN},
                      env, tmp_path)
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


# --- the install on a runner whose python3 is too old ------------------------------------------------------

PY39 = Path("/root/.pyenv/versions/3.9.18/bin/python3.9")


def shim_dir(tmp_path: Path, **pythons: str) -> str:
    """A PATH of only these interpreters: name -> a real interpreter, or a version a fake one reports."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, target in pythons.items():
        shim = bin_dir / name.replace("_", ".")
        if target.startswith("/"):
            shim.symlink_to(target)
        else:  # a fake interpreter reporting `target` to the version checks
            major, minor = (int(n) for n in target.split(".")[:2])
            shim.write_text(f"#!/bin/bash\n{sys.executable} -c \"import sys; sys.version_info = ({major}, {minor}, 0)\n"
                            f"import platform; platform.python_version = lambda: '{target}'\n"
                            "code = sys.argv[-1]; exec(code)\" \"$@\"\n")
            shim.chmod(0o755)
    return str(bin_dir)


def interpreter_39(tmp_path: Path) -> str:
    """python3 is a real Python 3.9 when one is installed, else a shim reporting 3.9."""
    return str(PY39) if PY39.exists() else "3.9.18"


@pytest.mark.parametrize("kind", ["installed", "shim"])
def test_a_runner_python_39_makes_the_action_set_up_python(tmp_path: Path, kind: str) -> None:
    if kind == "installed" and not PY39.exists():
        pytest.skip(f"no Python 3.9 at {PY39}: the shim variant covers the version check")
    path = shim_dir(tmp_path, python3=str(PY39) if kind == "installed" else "3.9.18")
    done = run_action({"command": "triage"}, {"GITEA_TOKEN": JOB_TOKEN}, tmp_path, path=path, until="python")
    assert done.returncode == 0, done.stderr
    assert done.outputs["python"] == {"found": "false", "python": ""}
    assert "python3 is 3.9" in done.stdout and "older than 3.11" in done.stdout
    setup = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "setup-python")
    assert evaluate(setup["if"], {"command": "triage"}, {}, done.outputs) == "true"
    assert setup["uses"].startswith("actions/setup-python@") and setup["with"]["python-version"] >= "3.11"


def test_a_newer_python_on_the_runner_is_used_as_it_is(tmp_path: Path) -> None:
    path = shim_dir(tmp_path, python3=interpreter_39(tmp_path), python3_12=sys.executable)
    done = run_action({"command": "triage"}, {"GITEA_TOKEN": JOB_TOKEN}, tmp_path, path=path, until="python")
    assert done.outputs["python"] == {"found": "true", "python": str(Path(path) / "python3.12")}
    setup = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "setup-python")
    assert evaluate(setup["if"], {"command": "triage"}, {}, done.outputs) == "false"


@pytest.mark.parametrize(("command", "requirements"), [("triage", "step.txt"), ("plan", "step-plan.txt"),
                                                       ("debug", "step.txt")])
def test_the_install_takes_only_what_the_command_needs_and_is_cached_by_it(tmp_path: Path, command: str,
                                                                           requirements: str) -> None:
    tools = {name: shutil.which(name) or f"/usr/bin/{name}" for name in ("cat", "sha256sum", "cut", "uname")}
    path = shim_dir(tmp_path, python3=interpreter_39(tmp_path), **tools)
    setup = {"actions/setup-python": {"python-path": sys.executable}}
    done = run_action({"command": command}, {"GITEA_TOKEN": JOB_TOKEN}, tmp_path, path=path, uses=setup,
                      until="prepare")
    assert done.returncode == 0, done.stderr
    prepared = done.outputs["prepare"]
    assert prepared["python"] == sys.executable and prepared["requirements"] == requirements
    version = ".".join(map(str, sys.version_info[:3]))
    assert prepared["key"].startswith("teabot-venv-") and f"-{version}-{requirements[:-4]}-" in prepared["key"]
    cache = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "cache")
    assert cache["uses"].startswith("actions/cache@") and cache["with"]["key"] == "${{ steps.prepare.outputs.key }}"


@pytest.mark.parametrize(("body", "runs"), [
    ("/plan", True), ("please /plan this", True), ("/summarize", True), ("looks good", False),
    ("<!-- teabot:plan -->\n## PI plan v1\nReply `/plan approve` to create the issues.", False),
])
def test_the_plan_example_never_starts_for_the_bots_own_comments(body: str, runs: bool) -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".gitea" / "examples" / "teabot-plan.yml").read_text())
    condition = workflow["jobs"]["plan"]["if"].strip().removeprefix("${{").removesuffix("}}")
    text = re.sub(r"contains\(github\.event\.comment\.body, '([^']*)'\)", lambda m: repr(m[1] in body), condition)
    text = text.replace("!github.event.issue.pull_request", "True").replace("&&", " and ").replace("||", " or ")
    assert eval(text.replace("!", " not ")) is runs  # noqa: S307 - the example's own expression
