"""`teabot status`: what the bot is doing, read from Redis (sessions in flight with budgets, queue, failures)."""

from __future__ import annotations

import dataclasses
import json
import time

import click

from bot.receiver.overview import Overview


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the overview as JSON.")
@click.option("--failures", default=10, show_default=True, type=int, help="How many failed jobs to list.")
def status(as_json: bool, failures: int) -> None:
    """Show sessions in flight with their budgets, the queue, workers and the last failed jobs.

    Read-only: it reads Redis (REDIS_URL) and changes nothing. Recurring failures and flaky tests
    from the failure ledger are listed too; the receiver's /status page draws the same with a chart.
    """
    import redis

    from bot.cli.server import load_settings
    from bot.receiver.overview import gather

    settings = load_settings()
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set: sessions and the queue live in Redis (without it, "
                                   "`teabot serve` keeps them in its own process and nothing else can read them)")
    try:
        view = gather(redis.Redis.from_url(settings.redis_url, socket_timeout=5), settings.queue_name,
                      failures=failures)
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis did not answer ({exc}): check REDIS_URL") from None
    click.echo(json.dumps(dataclasses.asdict(view), indent=2) if as_json else describe(view, time.time()))


def describe(view: Overview, now: float) -> str:
    """The overview as lines of text."""
    queue = ", ".join(f"{k} {v}" for k, v in view.queue.items())
    lines = [f"queue: {queue}; live workers: {view.workers}", "", f"sessions in flight: {len(view.in_flight)}"]
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
