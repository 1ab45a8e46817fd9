"""teabot as a step of a Gitea Actions job: `step triage`, `plan --from-event`, `debug --from-event`.

Each command reads the job's environment and event file (`bot.cli.step_env`), acts with the job's token
(or TEABOT_GITEA_TOKEN), and with `--dry-run` writes nothing to Gitea and prints what it would
have done. `plan --from-event` puts the comment through the receiver's own path (bot-event filter,
handlers, the planning job with its permission check), running the job in this process.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.config.settings import ConfigError, Settings
from bot.forge.client import GiteaClient
from bot.forge.errors import ForgeError
from bot.worker.queues import JobRequest, resolve
from bot.cli.step_env import (
    STATUS_CONTEXT, ActionsEnv, JobReport, StepError, comment_event, event_number, failed_run, parse_event,
    pull_branch, run_to_triage, split_jobs, status_description, step_settings, triage_comment, handover_url,
    handover_headers,
)

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
DRY_RUN_HELP = "Write nothing to Gitea; print what would have been done."
Json = dict[str, Any]


class InlineQueue:
    """A queue for a step: runs each job at once in this process; in a dry run only records it."""

    def __init__(self, *, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        self.requests: list[JobRequest] = []

    def submit(self, request: JobRequest) -> bool:
        """Run the job now (or, in a dry run, only note it)."""
        self.requests.append(request)
        if not self.dry_run:
            resolve(request.job)(**request.kwargs)
        return True

    def submit_in(self, seconds: float, request: JobRequest) -> bool:
        """Wait, then run the job: a step has nothing else to do meanwhile."""
        if not self.dry_run:
            time.sleep(seconds)
        return self.submit(request)

    def ping(self) -> bool:
        """Always reachable."""
        return True

    def describe(self) -> str:
        """For logs."""
        return "in-process (Actions step)"


def step_errors(func: F) -> F:
    """Turn configuration, event and Gitea errors into one readable message and exit status 1."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, ForgeError) as exc:
            raise click.ClickException(str(exc)) from None

    return run  # type: ignore[return-value]


def load_step(environ: Mapping[str, str]) -> tuple[ActionsEnv, Settings, Json]:
    """The job's variables, the settings for this step, and the event payload; logging set up."""
    from bot.logs import configure_logging

    actions, settings = step_settings(environ)
    configure_logging(settings.log_level, settings.log_format)
    actions.require("event_path")
    path = Path(actions.event_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StepError(f"cannot read the event file {path} (GITHUB_EVENT_PATH): {exc.strerror or exc}") from None
    return actions, settings, parse_event(text, str(path))


def step_forge(settings: Settings) -> GiteaClient:
    """The Gitea client the step acts with."""
    from bot.forge import make_forge

    if not settings.gitea_token:
        raise StepError("no token: pass the job's token (the action's `gitea-token` input, default github.token) "
                        "as GITEA_TOKEN, or a bot user's token as TEABOT_GITEA_TOKEN")
    return make_forge(settings)


# --- teabot step triage -------------------------------------------------------------------------------


def triage_this_run(client: GiteaClient, actions: ActionsEnv, payload: Mapping[str, Any], *, run_id: int | None = None,
                    max_lines: int = 40, dry_run: bool = False) -> str:
    """Triage the run's finished failed jobs and report on the PR, the event's issue, or the commit."""
    actions.require("repository")
    repo = actions.repository
    run_id = run_id or run_to_triage(actions, payload)
    run = client.get_run(repo, run_id)
    own_job = actions.job if run_id == actions.run_id else ""
    failed, unfinished = split_jobs(client.list_run_jobs(repo, run_id), own_job)
    reports = [_triage_job(client, repo, run, job, max_lines) for job in failed]
    return _report(client, actions, payload, run, reports, triage_comment(run, reports, unfinished), dry_run)


def _report(client: GiteaClient, actions: ActionsEnv, payload: Mapping[str, Any], run: Json,
            reports: list[JobReport], body: str, dry_run: bool) -> str:
    """Comment on the event's (or the branch's) pull request or issue; without one, set a commit status."""
    repo, number = actions.repository, event_number(payload)
    if number is None and (pull := client.find_pull(repo, pull_branch(actions, run))) is not None:
        number = int(pull["number"])
    if number is not None:
        if not dry_run:
            client.create_comment(repo, number, body)
        return f"{'would comment' if dry_run else 'commented'} on {repo}#{number}:\n\n{body}"
    sha, description = str(run.get("head_sha") or actions.sha), status_description(reports)
    if not dry_run:
        client.create_status(repo, sha, "failure", STATUS_CONTEXT, description, target_url=str(run.get("html_url") or ""))
    verb = "would set" if dry_run else "set"
    return (f"no pull request or issue to comment on: {verb} commit status {STATUS_CONTEXT} of {sha[:12]} "
            f"to failure ({description})\n\n{body}")


def _triage_job(client: GiteaClient, repo: str, run: Json, job: Mapping[str, Any], max_lines: int) -> JobReport:
    from bot.debug.gitea import triage_job  # imported here so that `teabot --help` stays fast
    from bot.forge.models import Job, Run

    name, url = str(job.get("name") or job.get("id")), str(job.get("html_url") or "")
    found = Run.from_api(run)
    try:
        return JobReport(name, url, triage_job(client, repo, Job.from_api(job), workflow=found.workflow,
                                               branch=found.head_branch, max_lines=max_lines).result)
    except ForgeError as exc:
        log.warning("could not read the log of job %s: %s", name, exc)
        return JobReport(name, url, error=str(exc))


@click.group()
def step() -> None:
    """Run teabot as a step of a Gitea Actions job (reads GITHUB_* and the event file)."""


@step.command("triage")
@click.option("--run-id", type=int, default=None,
              help="Triage this run instead (default: the job's own run, or the run a workflow_run event is about).")
@click.option("--max-lines", default=40, show_default=True, type=click.IntRange(1, 500),
              help="Lines each job's excerpt shows at most.")
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
@step_errors
def triage_step(run_id: int | None, max_lines: int, dry_run: bool) -> None:
    """Triage this run's failed jobs; comment on the pull request, or else set a commit status.

    Jobs that have not finished (this step's own job included) are not triaged, because their
    logs are not complete yet: run this step in a separate job that `needs:` the jobs to check.
    """
    actions, settings, payload = load_step(os.environ)
    click.echo(triage_this_run(step_forge(settings), actions, payload, run_id=run_id, max_lines=max_lines,
                               dry_run=dry_run), nl=False)


# --- teabot plan --from-event -------------------------------------------------------------------------------


def run_comment_event(settings: Settings, actions: ActionsEnv, payload: Mapping[str, Any], *, dry_run: bool) -> str:
    """Put the job's comment through the receiver's path and run the planning job here; returns what was done."""
    from bot.assist import handler as assist_handlers
    from bot.plan import handler as plan_handlers
    from bot.worker.runtime import Runtime, install
    from bot.receiver.intake import Intake
    from bot.routing import Router
    from bot.receiver.spool import Spool

    event = comment_event(actions, payload)
    queue = InlineQueue(dry_run=dry_run)
    if not dry_run:
        step_forge(settings)  # fail early, with the step's own message, when there is no token
        install(Runtime.from_settings(settings, queue=queue))
    outcome = Intake(settings, Router(plan_handlers.router, assist_handlers.discussion_router), queue, Spool(settings.spool_dir)).process(event)
    if not queue.requests:
        return f"nothing to do: {outcome.message}\n"
    verb = "would run" if dry_run else "ran"
    return "".join(f"{verb} {_describe(request)}\n" for request in queue.requests)


def _describe(request: JobRequest) -> str:
    args = ", ".join(f"{key}={value!r}" for key, value in request.kwargs.items() if key != "delivery_id")
    return f"{request.name}({args})"


def plan_from_event(*, dry_run: bool) -> None:
    """`teabot plan --from-event`: the planning command in the job's `issue_comment` event."""
    step_errors(_plan_from_event)(dry_run)


def _plan_from_event(dry_run: bool) -> None:
    actions, settings, payload = load_step(os.environ)
    click.echo(run_comment_event(settings, actions, payload, dry_run=dry_run), nl=False)


# --- teabot debug --from-event --------------------------------------------------------------------------------


def hand_over(settings: Settings, actions: ActionsEnv, payload: Mapping[str, Any], *, dry_run: bool) -> tuple[str, bool]:
    """POST the failed run's `workflow_run` event to the server's /handover with the repository's credential;
    returns (what was done, ok)."""
    import json
    import uuid

    import httpx

    from bot.receiver.replay import replay_remote

    run_id, reason = failed_run(actions.event_name, payload)
    if run_id is None:
        return f"nothing to do: {reason}\n", True
    if not settings.server_url:
        raise StepError("TEABOT_SERVER_URL is not set: give the URL of your teabot server (the action's `server-url` input)")
    if not settings.handover_token:
        raise StepError("TEABOT_HANDOVER_TOKEN is not set: give the step the repository's hand-over credential (the "
                        "action's `handover-token` input, from the repository secret TEABOT_HANDOVER_TOKEN, which "
                        "`teabot handover issue OWNER/REPO --install` sets); the webhook secret is not used here")
    url = handover_url(settings.server_url)
    if dry_run:
        return f"would POST the workflow_run event of failed run {run_id} to {url} with TEABOT_HANDOVER_TOKEN\n", True
    body = json.dumps(dict(payload)).encode()
    try:
        outcome = replay_remote(url, handover_headers(settings.handover_token, str(uuid.uuid4())), body)
    except httpx.HTTPError as exc:
        raise StepError(f"could not reach the teabot server at {url} ({exc}): check TEABOT_SERVER_URL and that "
                        "the runner can reach it") from None
    status = int(outcome.get("status") or 0)
    hint = " (the step's TEABOT_HANDOVER_TOKEN was refused)" if status in (401, 403) else ""
    return f"handed failed run {run_id} to {url}: {status} {outcome.get('message', '')}{hint}\n", 200 <= status < 300


@click.command("debug")
@click.option("--from-event", is_flag=True, help="Take the failed run from the job's workflow_run event file.")
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
@step_errors
def debug(from_event: bool, dry_run: bool) -> None:
    """Hand a failed workflow run to a teabot server (TEABOT_SERVER_URL) for debugging.

    Runs in a workflow triggered `on: workflow_run` (types: [completed]); the event is POSTed to the
    server's /handover with the repository's credential TEABOT_HANDOVER_TOKEN (`teabot handover issue`
    on the server prints it). Runs that did not fail are left alone.
    """
    if not from_event:
        raise click.UsageError("give --from-event: this command reads the failed run from a workflow_run event file")
    actions, settings, payload = load_step(os.environ)
    message, ok = hand_over(settings, actions, payload, dry_run=dry_run)
    click.echo(message, nl=False)
    if not ok:
        sys.exit(1)


commands = [step, debug]
