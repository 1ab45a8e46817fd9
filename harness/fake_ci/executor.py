"""Runs one job of a workflow for real, like a Gitea Actions runner would, and writes its log.

The commit's tree is written to a fresh checkout directory, each `run:` step is executed with
`bash -e` in that checkout (with a deadline for the whole job), and the output is recorded in
the layout act_runner gives Gitea: a header, `⭐ Run Main <step>` at every step, the script in a
`##[group]` block, the step's output, `✅ Success` / `❌ Failure` lines and `🏁 Job succeeded|failed`.
`uses:` steps are not executed (the checkout is already there). Timestamps are added when served.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from harness.fake_gitea.state import now
from harness.fake_gitea.workflow_spec import JobSpec, StepSpec, WorkflowSpec, expand

RUNNER = "fake-runner(version:v0.2.11)"
IMAGE = "docker.gitea.com/runner-images:ubuntu-latest"
MAX_OUTPUT = 4 << 20  # bytes of one step's output kept in the log


@dataclass(frozen=True)
class StepResult:
    """How one step ended."""

    name: str
    conclusion: str  # success, failure or skipped
    started: datetime
    completed: datetime


@dataclass(frozen=True)
class JobResult:
    """How one job ended: its conclusion, its raw log (no timestamps) and its steps."""

    conclusion: str
    log: bytes
    steps: tuple[StepResult, ...]


@dataclass(frozen=True)
class JobContext:
    """What a job runs with: environment, expression values (`inputs`, `github`) and a deadline."""

    env: Mapping[str, str]
    inputs: Mapping[str, str]
    github: Mapping[str, str]
    timeout: float
    header: str  # first log line, e.g. "... received task 7 of job 3, be triggered by event: push"


def checkout(files: Mapping[str, bytes], into: Path) -> Path:
    """Write a snapshot of files into a new directory under `into`; returns it."""
    root = Path(tempfile.mkdtemp(prefix="checkout-", dir=into))
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def run_job(workflow: WorkflowSpec, job: JobSpec, files: Mapping[str, bytes], ctx: JobContext,
            workdir: Path) -> JobResult:
    """Check out `files` and run `job`'s steps in order; the checkout is removed afterwards."""
    root = checkout(files, workdir)
    try:
        return _Job(workflow, job, ctx, root).run()
    finally:
        shutil.rmtree(root, ignore_errors=True)


class _Job:
    """The state of one job while its steps run."""

    def __init__(self, workflow: WorkflowSpec, job: JobSpec, ctx: JobContext, root: Path) -> None:
        self.workflow, self.job, self.ctx, self.root = workflow, job, ctx, root
        self.lines: list[str] = []
        self.steps: list[StepResult] = []
        self.failed = False
        self.exit_note = ""  # act's "exitcode 'N': failure", written after the step's result line
        self.deadline = time.monotonic() + (job.timeout or ctx.timeout)

    def run(self) -> JobResult:
        self.lines += [self.ctx.header, "workflow prepared", "evaluating expression 'success()'",
                       "expression 'success()' evaluated to 'true'", f"\U0001f680  Start image={IMAGE}"]
        for step in self.job.steps:
            self._step(step)
        self.lines += [f"Cleaning up container for job {self.job.id}",
                       "\U0001f3c1  Job failed" if self.failed else "\U0001f3c1  Job succeeded"]
        text = "\n".join(self.lines) + "\n"
        return JobResult("failure" if self.failed else "success", text.encode(), tuple(self.steps))

    def _step(self, step: StepSpec) -> None:
        started = now()
        if not _wanted(step.condition, self.failed):
            self.steps.append(StepResult(step.name, "skipped", started, started))
            return
        self.lines.append(f"\u2b50 Run Main {step.name}")
        self.exit_note = ""
        ok = self._uses(step) if step.run is None else self._script(step)
        self.lines.append(f"  \u2705  Success - Main {step.name}" if ok else f"  \u274c  Failure - Main {step.name}")
        self.lines += [self.exit_note] if self.exit_note else []
        self.failed = self.failed or not ok
        self.steps.append(StepResult(step.name, "success" if ok else "failure", started, now()))

    def _uses(self, step: StepSpec) -> bool:
        if (step.uses or "").startswith("actions/checkout"):
            self.lines.append(f"checked out {self.ctx.github.get('sha', '')} into the workspace")
        else:
            self.lines.append(f"{step.uses}: actions are not executed by this runner, step passed")
        return True

    def _script(self, step: StepSpec) -> bool:
        context = {"inputs": self.ctx.inputs, "github": self.ctx.github, "env": self._env(step)}
        script = expand(step.run or "", context)
        self.lines += [f"##[group]Run {script.strip().splitlines()[0] if script.strip() else ''}",
                       *script.rstrip("\n").splitlines(), "shell: bash -e {0}", "##[endgroup]"]
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return self._timed_out(b"")
        path = self.root.parent / f"{self.root.name}-step-{len(self.steps)}.sh"
        path.write_text(script, encoding="utf-8")
        try:
            return self._execute(path, {**context["env"], "GITHUB_WORKSPACE": str(self.root)}, remaining)
        finally:
            path.unlink(missing_ok=True)

    def _execute(self, script: Path, env: Mapping[str, str], remaining: float) -> bool:
        process = subprocess.Popen(["bash", "-e", str(script)], cwd=self.root, env=dict(env), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            return self._timed_out(output)
        self._output(output)
        if process.returncode:
            self.exit_note = f"exitcode '{process.returncode}': failure"
        return process.returncode == 0

    def _timed_out(self, output: bytes) -> bool:
        self._output(output)
        limit = self.job.timeout or self.ctx.timeout
        self.lines.append("##[error]The job running on runner fake-runner has exceeded the maximum execution time"
                          f" of {limit:g}s.")
        return False

    def _output(self, output: bytes) -> None:
        if len(output) > MAX_OUTPUT:
            output = output[:MAX_OUTPUT // 2] + b"\n[... output cut ...]\n" + output[-MAX_OUTPUT // 2:]
        self.lines += output.decode("utf-8", "replace").splitlines()

    def _env(self, step: StepSpec) -> dict[str, str]:
        env = dict(self.ctx.env)
        for layer in (self.workflow.env, self.job.env, step.env):
            env.update({k: expand(v, {"inputs": self.ctx.inputs, "github": self.ctx.github, "env": env})
                        for k, v in layer.items()})
        return env


def _wanted(condition: str, failed: bool) -> bool:
    """Whether a step with `if: condition` runs (success(), failure(), always(), !cancelled())."""
    return {"always()": True, "failure()": failed, "!cancelled()": True}.get(condition, not failed)
