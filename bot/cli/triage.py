"""`teabot triage`: find the lines of a CI job log that say why it failed.

`--log FILE` reads a log file; `--run OWNER/REPO/RUN_ID` fetches every failed job's log of a workflow
run from Gitea and triages each against the same job of the last green run of that workflow.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING, BinaryIO

import click

if TYPE_CHECKING:
    from bot.debug.gitea import JobTriage
    from bot.forge import GiteaClient
    from bot.triage import Triage

_RUN_REF = re.compile(r"^([\w.-]+/[\w.-]+)/(?:actions/runs/)?(\d+)/?$")


def triage_job_log(stream: BinaryIO | bytes, baseline_stream: BinaryIO | bytes | None = None, *,
                   max_lines: int = 40) -> Triage:
    """Triage one job log against the log of the last passing run of the same job, if any."""
    from bot.triage import triage  # imported here so that `teabot --help` stays fast

    return triage(stream, baseline_stream, max_lines=max_lines)


def parse_run(ref: str) -> tuple[str, int]:
    """'owner/repo/42' (or 'owner/repo/actions/runs/42') -> ('owner/repo', 42)."""
    match = _RUN_REF.match(ref.strip())
    if match is None:
        raise click.BadParameter(f"{ref!r} is not OWNER/REPO/RUN_ID, e.g. acme/widget/42", param_hint="--run")
    return match.group(1), int(match.group(2))


def triage_run(forge: GiteaClient, repo: str, run_id: int, *, max_lines: int = 40) -> list[JobTriage]:
    """Triage each failed job of a run against the same job of the last green run of its workflow."""
    from bot.debug.gitea import failed_jobs, triage_job  # the debug agent's own reading of a run
    from bot.forge.models import Run

    run = Run.from_api(forge.get_run(repo, run_id))
    return [triage_job(forge, repo, job, workflow=run.workflow, branch=run.head_branch, max_lines=max_lines)
            for job in failed_jobs(forge, repo, run_id)]


def render(result: Triage) -> str:
    """A readable report: summary, category, fingerprint and the numbered excerpt."""
    if not result.lines:
        return f"{result.summary}\n"
    lines = [
        result.summary,
        f"category: {result.category.value}   fingerprint: {result.fingerprint}   "
        f"lines: {_ranges(result.lines)}",
        "",
        result.excerpt,
    ]
    return "\n".join(lines) + "\n"


def _ranges(numbers: tuple[int, ...]) -> str:
    """1,2,3,7,8 -> '1-3,7-8'."""
    parts: list[str] = []
    start = prev = None
    for n in numbers:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(f"{start}-{prev}" if prev != start else f"{start}")
        start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ",".join(parts)


def _open(stack: ExitStack, path: str, what: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(path, "rb"))
    except OSError as exc:
        raise click.ClickException(f"cannot read the {what} {path!r}: {exc.strerror or exc}") from exc


class _Unreadable(click.ClickException):
    exit_code = 2


def _run_command(ref: str, as_json: bool, max_lines: int) -> None:
    """Fetch, triage and print each failed job of a run."""
    from bot.cli.server import load_settings
    from bot.forge import make_forge
    from bot.forge.errors import ForgeError

    repo, run_id = parse_run(ref)
    forge = make_forge(load_settings())
    try:
        jobs = triage_run(forge, repo, run_id, max_lines=max_lines)
    except ForgeError as exc:
        raise click.ClickException(f"cannot triage run {run_id} of {repo}: {exc}") from exc
    if not jobs:
        click.echo(f"run {run_id} of {repo} has no failed job", err=True)
    for job in jobs:
        if as_json:
            click.echo(json.dumps(job.to_json(), ensure_ascii=False))
            continue
        baseline = "the same job in the last green run" if job.has_baseline else "none (no green run found)"
        click.echo(f"== job {job.job_name} (#{job.job_id}); baseline: {baseline}")
        click.echo(render(job.result))


@click.command("triage")
@click.option("--log", "log_path", default=None, metavar="FILE",
              help="The failed job's log ('-' reads standard input).")
@click.option("--baseline", "baseline_path", default="", metavar="FILE",
              help="Log of the last passing run of the same job; '' for none.")
@click.option("--run", "run_ref", default=None, metavar="OWNER/REPO/RUN_ID",
              help="A workflow run on Gitea (TEABOT_GITEA_URL, TEABOT_GITEA_TOKEN): triage each failed job, "
                   "with the last green run of the same workflow as baseline.")
@click.option("--this-run", is_flag=True,
              help="Inside a Gitea Actions job: triage this run's finished failed jobs and comment "
                   "(the same as `teabot step triage`).")
@click.option("--dry-run", is_flag=True, help="With --this-run: write nothing to Gitea, print what would be done.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (with --run: one per failed job, one per line) instead of a report.")
@click.option("--max-lines", default=40, show_default=True, type=click.IntRange(1, 10_000),
              help="Lines the excerpt shows at most.")
@click.pass_context
def triage_command(ctx: click.Context, log_path: str | None, baseline_path: str, run_ref: str | None, this_run: bool,
                   dry_run: bool, as_json: bool, max_lines: int) -> None:
    """Find the lines of a CI job log that state why it failed (no model involved)."""
    if this_run:
        from bot.cli.step import triage_step

        ctx.invoke(triage_step, run_id=None, max_lines=min(max_lines, 500), dry_run=dry_run)
        return
    if (log_path is None) == (run_ref is None):
        raise click.UsageError("give either --log FILE, --run OWNER/REPO/RUN_ID or --this-run")
    if run_ref is not None:
        if baseline_path:
            raise click.UsageError("--baseline goes with --log; --run finds the last green run itself")
        _run_command(run_ref, as_json, max_lines)
        return
    with ExitStack() as stack:
        try:
            log = _open(stack, log_path, "log")
            baseline = _open(stack, baseline_path, "baseline log") if baseline_path else None
            result = triage_job_log(log, baseline, max_lines=max_lines)
        except click.ClickException as exc:
            raise _Unreadable(exc.message) from exc
        except OSError as exc:
            raise _Unreadable(f"cannot read the log: {exc}") from exc
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        click.echo(render(result), nl=False)


commands = [triage_command]
