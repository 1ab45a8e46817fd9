"""`teabot triage`: find the lines of a CI job log that say why it failed."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING, BinaryIO

import click

if TYPE_CHECKING:
    from bot.triage import Triage


def triage_job_log(stream: BinaryIO | bytes, baseline_stream: BinaryIO | bytes | None = None, *,
                   max_lines: int = 40) -> Triage:
    """Triage one job log against the log of the last passing run of the same job, if any."""
    from bot.triage import triage  # imported here so that `teabot --help` stays fast

    return triage(stream, baseline_stream, max_lines=max_lines)


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


@click.command("triage")
@click.option("--log", "log_path", required=True, metavar="FILE",
              help="The failed job's log ('-' reads standard input).")
@click.option("--baseline", "baseline_path", default="", metavar="FILE",
              help="Log of the last passing run of the same job; '' for none.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a report.")
@click.option("--max-lines", default=40, show_default=True, type=click.IntRange(1, 10_000),
              help="Lines the excerpt shows at most.")
def triage_command(log_path: str, baseline_path: str, as_json: bool, max_lines: int) -> None:
    """Find the lines of a CI job log that state why it failed (no model involved)."""
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
