"""`teabot status`: what the bot is doing (sessions in flight with budgets, queue, failures), from Redis or the data directory."""

from __future__ import annotations

import dataclasses
import json
import time

import click

from bot.config.settings import Settings
from bot.receiver.overview import Overview


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the overview as JSON.")
@click.option("--failures", default=10, show_default=True, type=int, help="How many failed jobs to list.")
def status(as_json: bool, failures: int) -> None:
    """Show sessions in flight with their budgets, the queue, workers and the last failed jobs.

    Read-only: it reads Redis (REDIS_URL) and changes no session, job or ledger entry. Without REDIS_URL it reads the files
    `teabot serve` keeps under TEABOT_DATA_DIR (state.sqlite3: sessions and ledger; jobs.sqlite3: the
    pending and failed jobs), so run it with the server's TEABOT_DATA_DIR. Recurring failures and flaky
    tests from the failure ledger are listed too; the receiver's /status page draws the same with a chart.
    """
    from bot.cli.server import load_settings

    settings = load_settings()
    view = _from_redis(settings, failures) if settings.redis_url else _from_data_dir(settings, failures)
    click.echo(json.dumps(dataclasses.asdict(view), indent=2) if as_json else describe(view, time.time()))


def _from_redis(settings: Settings, failures: int) -> Overview:
    import redis

    from bot.receiver.overview import gather

    try:
        return gather(redis.Redis.from_url(settings.redis_url, socket_timeout=5), settings.queue_name,
                      failures=failures)
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis did not answer ({exc}): check REDIS_URL") from None


def _from_data_dir(settings: Settings, failures: int) -> Overview:
    import sqlite3

    from bot.receiver.overview import gather
    from bot.receiver.overview_local import LocalStatus
    from bot.worker.journal import JournalError
    from bot.worker.state import StateError

    if not settings.data_dir.is_dir():
        raise click.ClickException(f"no data directory {settings.data_dir}: without REDIS_URL the status is read "
                                   "from the TEABOT_DATA_DIR of `teabot serve`; set it to the same directory")
    source = LocalStatus(settings.data_dir)
    try:
        return gather(source, failures=failures)
    except (sqlite3.Error, StateError, JournalError) as exc:
        raise click.ClickException(f"cannot read {settings.data_dir} ({exc}): check TEABOT_DATA_DIR") from None
    finally:
        source.close()


def describe(view: Overview, now: float) -> str:
    """The overview as lines of text."""
    queue = ", ".join(f"{k} {v}" for k, v in view.queue.items())
    workers = "unknown" if view.workers is None else view.workers
    lines = [f"queue: {queue}; live workers: {workers}", "", f"sessions in flight: {len(view.in_flight)}"]
    lines += [f"  {s.repo} {s.workflow} run {s.run_id}: {s.state}, attempts {s.attempts}, tokens {s.tokens}, "
              f"minutes {s.minutes}" for s in view.in_flight]
    lines += ["", f"last failed jobs: {len(view.failed_jobs)}"]
    lines += [f"  {f.job} {f.job_id}: {f.error}" for f in view.failed_jobs]
    lines += ["", f"recurring failures: {len(view.recurring)}"]
    lines += [f"  {r.repo} {r.category} ×{r.count}: {r.summary} ({r.last_outcome or 'open'})" for r in view.recurring]
    lines += ["", f"flaky: {len(view.flaky)}"]
    lines += [f"  {r.repo} ×{r.count}: {r.summary}" for r in view.flaky]
    return "\n".join(lines)


commands = [status]
