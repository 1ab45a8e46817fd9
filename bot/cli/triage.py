"""`teabot triage`: find the lines of a CI job log that say why it failed.

`--log FILE` reads a log file; `--run OWNER/REPO/RUN_ID` fetches every failed job's log of a workflow
run from Gitea and triages each against the same job of the last green run of that workflow.
`--state DIR` ranks first the lines shaped like cause lines confirmed before (`teabot triage learn`
records a confirmation in DIR, `teabot triage forget` drops what DIR learned).
"""

from __future__ import annotations

import json
import os
import re
import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING, BinaryIO

import click

if TYPE_CHECKING:
    from bot.debug.gitea import JobTriage
    from bot.debug.learned import DirectoryStore
    from bot.forge import GiteaClient
    from bot.triage import Triage
    from bot.triage.reading import LogView
    from bot.triage.shapes import Learned

_RUN_REF = re.compile(r"^([\w.-]+/[\w.-]+)/(?:actions/runs/)?(\d+)/?$")


def triage_job_log(stream: BinaryIO | bytes | LogView, baseline_stream: BinaryIO | bytes | LogView | None = None, *,
                   max_lines: int = 40, learned: Learned | None = None) -> Triage:
    """Triage one job log against the log of the last passing run of the same job, if any."""
    from bot.triage import triage  # imported here so that `teabot --help` stays fast

    return triage(stream, baseline_stream, max_lines=max_lines, learned=learned)


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


def _view(path: str, what: str) -> LogView | None:
    """A regular file's triage view (a large one scanned on two cores), or None for a stream ('-', a pipe)."""
    if path == "-" or not os.path.isfile(path):
        return None
    from bot.cli.log_view import read_file_view

    try:
        return read_file_view(path)
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


def _store(state: str) -> DirectoryStore:
    from bot.debug.learned import DirectoryStore

    return DirectoryStore(state)


class _TriageGroup(click.Group):
    """`teabot triage [OPTIONS]` triages; `teabot triage learn|forget` manage what was learned."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[--log FILE | --run REF | --this-run] [OPTIONS] | learn | forget")


@click.group("triage", cls=_TriageGroup, invoke_without_command=True)
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
@click.option("--state", "state_dir", default=None, metavar="DIR",
              help="With --log: rank first the lines shaped like the cause lines DIR learned "
                   "(`teabot triage learn`); without it, nothing learned is used.")
@click.pass_context
def triage_command(ctx: click.Context, log_path: str | None, baseline_path: str, run_ref: str | None, this_run: bool,
                   dry_run: bool, as_json: bool, max_lines: int, state_dir: str | None) -> None:
    """Find the lines of a CI job log that state why it failed (no model involved)."""
    if ctx.invoked_subcommand is not None:
        return
    if this_run:
        from bot.cli.step import triage_step

        ctx.invoke(triage_step, run_id=None, max_lines=min(max_lines, 500), dry_run=dry_run)
        return
    if (log_path is None) == (run_ref is None):
        raise click.UsageError("give either --log FILE, --run OWNER/REPO/RUN_ID or --this-run")
    if run_ref is not None:
        if baseline_path:
            raise click.UsageError("--baseline goes with --log; --run finds the last green run itself")
        if state_dir:
            raise click.UsageError("--state goes with --log; a run's repository learns through the ledger")
        _run_command(run_ref, as_json, max_lines)
        return
    learned = _store(state_dir).load() if state_dir else None
    with ExitStack() as stack:
        try:
            log = _view(log_path, "log") or _open(stack, log_path, "log")
            baseline = (_view(baseline_path, "baseline log") or _open(stack, baseline_path, "baseline log")
                        if baseline_path else None)
            result = triage_job_log(log, baseline, max_lines=max_lines, learned=learned)
        except click.ClickException as exc:
            raise _Unreadable(exc.message) from exc
        except OSError as exc:
            raise _Unreadable(f"cannot read the log: {exc}") from exc
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        click.echo(render(result), nl=False)


@triage_command.command("learn")
@click.option("--state", "state_dir", required=True, metavar="DIR", help="Where this repository's shapes are kept.")
@click.option("--log", "log_path", required=True, metavar="FILE", help="The failed job's log ('-' reads standard input).")
@click.option("--lines", "spec", required=True, metavar="N,N-M",
              help="The lines that state the cause, e.g. 12,13,14 or 12-14 (1-based, split on newlines).")
def learn_command(state_dir: str, log_path: str, spec: str) -> None:
    """Record a confirmation: these lines of this log state why it failed."""
    from bot.triage.memory import learn_lines, parse_lines

    try:
        numbers = parse_lines(spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--lines") from exc
    with ExitStack() as stack:
        try:
            log = _open(stack, log_path, "log")
            added = learn_lines(_store(state_dir), log, numbers)
        except click.ClickException as exc:
            raise _Unreadable(exc.message) from exc
        except OSError as exc:
            raise _Unreadable(f"cannot read the log or write {state_dir!r}: {exc}") from exc
    total = len(_store(state_dir).entries())
    click.echo(f"learned {added} new shape(s) from {len(numbers)} line(s); {total} kept in {state_dir}")


@triage_command.command("forget")
@click.option("--state", "state_dir", required=True, metavar="DIR", help="Where this repository's shapes are kept.")
def forget_command(state_dir: str) -> None:
    """Drop every shape learned in DIR (triage behaves as if nothing was ever confirmed)."""
    store = _store(state_dir)
    count = len(store.entries())
    store.forget()
    click.echo(f"forgot {count} shape(s) in {state_dir}")


commands = [triage_command]
