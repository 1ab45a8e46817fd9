"""CiRunner: the `ci_runner` of the fake Gitea test harness, which runs a repository's workflows for real.

Plugged in as `FakeGitea(ci_runner=CiRunner())`, it is called for every push, pull request opened or
reopened, dispatch and re-run while the fake still answers the request that caused it (under the
fake's lock; which runs start is decided in `triggers`, as Gitea does, including the pull_request
runs of a push onto a pull request's head branch): it records the
runs as queued and sends `workflow_run` requested and `workflow_job` queued, then returns at once,
like Gitea. One background thread works through the queue, one run at a time: the run goes
in_progress (webhooks, and a pending commit status per job), each job runs for real
(`executor.run_job`), then every job and the run complete with their conclusions (workflow_job
completed, a final commit status, workflow_run completed). `wait_idle` waits for an empty queue.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.fake_ci import triggers
from harness.fake_ci.executor import RUNNER, JobContext, JobResult, run_job
from harness.fake_ci.worker import SerialWorker, python_shims
from harness.fake_gitea import ci
from harness.fake_gitea.app import Trigger
from harness.fake_gitea.payloads import Event
from harness.fake_gitea.state import Repo, Run, State, Step
from harness.fake_gitea.workflow_spec import (WORKFLOW_DIR, JobSpec, WorkflowFileError, WorkflowSpec, parse_workflow,
                                                   workflow_dir)

if TYPE_CHECKING:
    from harness.fake_gitea.server import FakeGitea

log = logging.getLogger(__name__)
# Never handed to a job: the bot's and the test session's settings and secrets.
SCRUBBED = ("TEABOT_", "OPENAI_", "REDIS_URL", "GITEA_", "GITHUB_", "PYTEST_", "COV_CORE_", "PYTHONPATH",
            "VIRTUAL_ENV")


@dataclass(frozen=True)
class _Work:
    fake: FakeGitea
    repo: str
    run_id: int
    inputs: Mapping[str, Any] = field(default_factory=dict)


class CiRunner(SerialWorker[_Work]):
    """Runs the workflows of the fake's repositories as real subprocesses, one run at a time."""

    def __init__(self, workdir: Path | None = None, *, job_timeout: float = 120.0,
                 push_branches: Sequence[str] = ("**",), statuses: bool = True,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(workdir, job_timeout=job_timeout, name="fake-ci")
        self.push_branches = list(push_branches)  # branch globs whose pushes start CI; [] = dispatch only
        self.statuses = statuses  # set a commit status per job, as Gitea Actions does
        self._environ = environ

    def __call__(self, fake: FakeGitea, trigger: Trigger) -> None:
        """Queue the runs a push, dispatch or re-run starts; returns at once."""
        with fake.state.lock:
            repo = fake.state.repos[trigger.repo]
            if trigger.event == "push":
                runs = triggers.push_runs(fake.state, repo, trigger, self.push_branches)
                runs += triggers.synchronized_runs(fake.state, repo, trigger)
            elif trigger.event == "pull_request":
                runs = triggers.opened_runs(fake.state, repo, trigger)
            else:
                runs = [repo.runs[trigger.run_id]] if trigger.run_id in repo.runs else []
            for run in runs:  # a re-run already announced `requested`; its jobs are queued again
                events = ci.requested(fake.state, repo, run)
                self._send(fake, repo, events[1:] if trigger.event == "rerun" else events)
            inputs = trigger.inputs or _dispatched_inputs(repo, trigger.run_id)
        for run in runs:
            self._submit(_Work(fake, trigger.repo, run.id, dict(inputs)))

    # --- one run ---------------------------------------------------------------------------

    def _crashed(self, work: _Work, error: Exception, trace: str) -> None:
        """A run that could not run fails, with the workflow file's problem or the traceback as its logs."""
        self._abort(work, str(error) if isinstance(error, WorkflowFileError) else trace)

    def _execute(self, work: _Work) -> None:
        fake = work.fake
        with fake.state.lock:
            repo = fake.state.repos[work.repo]
            run = repo.runs[work.run_id]
            files = dict(repo.commits[run.head_sha].files)
            spec = parse_workflow(run.workflow, files[workflow_dir(files) + run.workflow])
            todo = [i for i, job in enumerate(run.jobs) if job.status != "completed"]
            started = ci.start_run(fake.state, repo, run)
            self._send(fake, repo, started + self._job_statuses(fake.state, repo, run, todo))
        for index in todo:
            result = self._job_result(fake.state, repo, run, spec, index, files, work.inputs)
            with fake.state.lock:
                self._finish_job(fake, repo, run, index, result)
        with fake.state.lock:
            self._send(fake, repo, ci.finish_run(fake.state, repo, run, {}, {}))

    def _job_result(self, state: State, repo: Repo, run: Run, spec: WorkflowSpec, index: int,
                    files: Mapping[str, bytes], inputs: Mapping[str, Any]) -> JobResult:
        job = run.jobs[index]
        found = next((j for j in spec.jobs if j.name == job.name), None)
        if found is None:
            return JobResult("failure", f"job {job.name!r} is not in {WORKFLOW_DIR}{run.workflow}\n".encode(), ())
        names = {j.id: j.name for j in spec.jobs}
        ended = {j.name: j.conclusion for j in run.jobs}
        blocked = [need for need in found.needs if ended.get(names.get(need, need)) != "success"]
        if blocked:
            return JobResult("skipped", f"skipped: needs {', '.join(blocked)}, which did not succeed\n".encode(), ())
        with state.lock:
            ctx = self._context(state, repo, run, spec, found, index, inputs)
        return run_job(spec, found, files, ctx, self.workdir)

    def _finish_job(self, fake: FakeGitea, repo: Repo, run: Run, index: int, result: JobResult) -> None:
        job = run.jobs[index]
        job.steps = [Step(s.name, "completed", s.conclusion, s.started, s.completed) for s in result.steps]
        events = ci.finish_job(fake.state, repo, run, index, result.conclusion, result.log)
        self._send(fake, repo, events + self._job_statuses(fake.state, repo, run, [index]))

    def _abort(self, work: _Work, reason: str) -> None:
        with work.fake.state.lock:
            repo = work.fake.state.repos.get(work.repo)
            run = repo.runs.get(work.run_id) if repo else None
            if repo is None or run is None or run.status == "completed":
                return
            ci.start_run(work.fake.state, repo, run)
            logs = {j.name: f"the fake CI runner could not run this job:\n{reason}\n".encode() for j in run.jobs}
            failed = {j.name: "failure" for j in run.jobs}
            self._send(work.fake, repo, ci.finish_run(work.fake.state, repo, run, failed, logs))

    def _job_statuses(self, state: State, repo: Repo, run: Run, indexes: Sequence[int]) -> list[Event]:
        if not self.statuses:
            return []
        return [ci.job_status(state, repo, run, i, _describe(run.jobs[i].conclusion, run.jobs[i].started,
                                                              run.jobs[i].completed)) for i in indexes]

    def _send(self, fake: FakeGitea, repo: Repo, events: list[Event]) -> None:
        for event_type, payload in events:
            fake.emit(event_type, payload, repo.full_name)

    # --- environment -----------------------------------------------------------------------

    def _context(self, state: State, repo: Repo, run: Run, spec: WorkflowSpec, job: JobSpec, index: int,
                 given: Mapping[str, Any]) -> JobContext:
        github = {"sha": run.head_sha, **_refs(repo, run), "event_name": ci.trigger_event(run.event),
                  "repository": repo.full_name, "repository_owner": repo.owner.login,
                  "run_id": str(run.id), "run_number": str(run.number), "run_attempt": str(run.attempt),
                  "actor": run.actor.login, "workflow": spec.name, "job": job.id, "server_url": state.base_url}
        inputs = spec.inputs(given) if run.event == "workflow_dispatch" else {}
        env = self._base_env(repo.full_name)
        env.update({f"GITHUB_{key.upper()}": value for key, value in github.items()})
        env.update({f"INPUT_{name.upper().replace('-', '_').replace(' ', '_')}": v for name, v in inputs.items()})
        header = (f"{RUNNER} received task {run.jobs[index].id} of job {job.id}, be triggered by event: "
                  f"{github['event_name']}")
        return JobContext(env, inputs, github, self.job_timeout, header)

    def _base_env(self, repo: str) -> dict[str, str]:
        source = os.environ if self._environ is None else self._environ
        env = {k: v for k, v in source.items() if not k.startswith(SCRUBBED)}
        env.update(CI="true", GITHUB_ACTIONS="true", GITEA_ACTIONS="true", RUNNER_OS="Linux",
                   PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", CI_STATE_DIR=str(self.state_dir(repo)),
                   PATH=f"{python_shims(self.workdir)}{os.pathsep}{env.get('PATH', os.defpath)}")
        return env


def _refs(repo: Repo, run: Run) -> dict[str, str]:
    """github.ref, ref_name, head_ref and base_ref of a run.

    services/actions/context.go `GenerateGiteaContext` (v1.25.4): ref is the run's ref (refs/pull/<n>/head
    for a pull request), ref_name its `ShortName()` (the number, modules/git/ref.go `PullName`), and only
    pull request runs have head_ref and base_ref (the pull request's branches).
    """
    if not run.full_ref.startswith("refs/pull/"):
        return {"ref": run.full_ref, "ref_name": run.branch, "head_ref": "", "base_ref": ""}
    number = run.full_ref.removeprefix("refs/pull/").rsplit("/", 1)[0]
    issue = repo.issues.get(int(number)) if number.isdigit() else None
    pull = issue.pull if issue else None
    return {"ref": run.full_ref, "ref_name": number, "head_ref": pull.head if pull else "",
            "base_ref": pull.base if pull else ""}


def _dispatched_inputs(repo: Repo, run_id: int | None) -> dict[str, Any]:
    """The inputs a run was dispatched with (a re-run of it gets the same)."""
    return next((dict(d["inputs"]) for d in repo.dispatches if d["run_id"] == run_id), {})


def _describe(conclusion: str, started: datetime | None, completed: datetime | None) -> str:
    """A commit status description as Gitea Actions writes it."""
    took = _duration(started, completed)
    return {"success": f"Successful in {took}", "failure": f"Failing after {took}",
            "cancelled": "Has been cancelled", "skipped": "Has been skipped"}.get(conclusion, "Has started running")


def _duration(started: datetime | None, completed: datetime | None) -> str:
    seconds = int((completed - started).total_seconds()) if started and completed else 0
    return f"{seconds // 60}m{seconds % 60}s" if seconds >= 60 else f"{seconds}s"
