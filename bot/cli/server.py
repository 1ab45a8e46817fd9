"""`teabot serve`, `teabot worker`, `teabot replay`, `teabot version`: running the bot."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import click

from bot import __version__
from bot.config.settings import ConfigError, Settings, unknown_variables

log = logging.getLogger(__name__)


def load_settings() -> Settings:
    """Settings from the environment, or exit 2 with the message that says what to fix."""
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from bot.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    return settings


def ensure_secret(settings: Settings) -> Settings:
    """Use TEABOT_WEBHOOK_SECRET, or the one generated once into the data directory (generate it if need be)."""
    from bot.config.secret import ensure_secret as resolve

    secret = resolve(settings)
    if secret.generated:
        click.echo(f"No TEABOT_WEBHOOK_SECRET set: generated one in {secret.source}. Put the same secret on the "
                   "Gitea webhook (`teabot setup-hook` does).", err=True)
    return settings.replace(webhook_secret=secret.value)


def discover_bot_login(settings: Settings) -> Settings:
    """Learn the bot's own login (GET /user) so its own events can be ignored."""
    if settings.bot_login or not settings.gitea_token:
        if not settings.gitea_token:
            click.echo("TEABOT_GITEA_TOKEN is not set: deliveries are accepted but jobs cannot act on Gitea.", err=True)
        return settings
    from bot.forge import make_forge
    from bot.forge.errors import ForgeError

    from bot.forge.errors import Unauthorized

    try:
        login = make_forge(settings).current_user()["login"]
    except Unauthorized:
        click.echo("Gitea rejects TEABOT_GITEA_TOKEN (401): deliveries are accepted but no job can act on Gitea. "
                   "Generate a new token for the bot user (Settings → Applications) and set TEABOT_GITEA_TOKEN; "
                   "`teabot check` tells what else is missing. Continuing.", err=True)
        return settings
    except ForgeError as exc:
        click.echo(f"could not reach Gitea at {settings.gitea_url} to learn the bot's login ({exc}): check "
                   "TEABOT_GITEA_URL (`teabot check` tells more); until then the bot's own events are recognised "
                   "only with TEABOT_BOT_LOGIN set. Continuing.", err=True)
        return settings
    return settings.replace(bot_login=login)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for all).")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int,
              help="gunicorn web processes (with REDIS_URL only; the embedded queue needs one process).")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per web process.")
@click.option("--control-socket", default=None, metavar="PATH",
              help="Path of gunicorn's control socket (gunicorn ≥ 25); default: off, so serves never share one.")
def serve(host: str, port: int, workers: int, threads: int, control_socket: str | None) -> None:
    """Run the webhook receiver under gunicorn.

    With REDIS_URL set, deliveries become RQ jobs run by `teabot worker` processes (on any machine).
    Without it, jobs run in this process (an embedded queue), so this one command is a working bot.
    Without a model endpoint (TEABOT_MODEL_BASE_URL / OPENAI_BASE_URL) the agents run model-free.
    """
    from bot.receiver.gunicorn_app import prepare_metrics_dir, run_gunicorn

    settings = discover_bot_login(ensure_secret(load_settings()))
    for line in unknown_variables(os.environ):
        click.echo(f"warning: {line}", err=True)
    if workers > 1 and not settings.redis_url:
        click.echo(f"--workers {workers} needs REDIS_URL: without Redis the in-process queue lives in one web "
                   "process, so serving with 1", err=True)
        workers = 1
    mode = f"RQ on {_redis_display(settings.redis_url)}" if settings.redis_url else "embedded in-process queue"
    click.echo(f"teabot {__version__}: http://{host}:{port}/webhook, {mode}, "
               f"{'model ' + settings.model.model if settings.model.enabled else 'model-free'}, data in "
               f"{settings.data_dir}\n  next: `teabot check --repo OWNER/REPO` (what is missing), "
               f"`teabot setup-hook OWNER/REPO --url <public URL>/webhook` (the webhook), `teabot demo` (a tour)",
               err=True)
    prepare_metrics_dir()
    run_gunicorn(settings, host=host, port=port, workers=workers, threads=threads, control_socket=control_socket)


@click.command()
@click.option("--burst", is_flag=True, help="Run the jobs that are queued, then exit.")
@click.option("--name", default=None, help="Worker name (default: rq's).")
def worker(burst: bool, name: str | None) -> None:
    """Run an RQ worker (with the scheduler, for retries and timed polls) for teabot's queue."""
    from bot.worker import process
    from bot.worker.failures import on_horse_killed
    from bot.worker.metered import metered
    from bot.worker.runtime import Runtime, install, preload
    from bot.worker.telemetry import RedisTelemetry

    settings = load_settings()
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set: `teabot worker` needs Redis (without Redis, `teabot serve` runs jobs in-process)")
    runtime = Runtime.from_settings(discover_bot_login(settings))
    assert runtime.redis is not None  # REDIS_URL is set
    telemetry = RedisTelemetry(runtime.redis)  # the receiver exports it: workers have no HTTP port
    preload(install(metered(runtime, telemetry)))
    process.run(runtime.redis, settings.queue_name, name, burst=burst, horse_killed=on_horse_killed, telemetry=telemetry)


@click.command()
@click.option("--event", "event_name", required=True, help="X-Gitea-Event of the delivery, e.g. issue_comment.")
@click.option("--type", "event_type", default=None, help="X-Gitea-Event-Type, e.g. pull_request_comment (default: same as --event).")
@click.option("--url", default=None, help="POST the signed delivery to this receiver instead of handling it in this process.")
@click.option("--wait", default=60.0, show_default=True, type=float, help="Seconds to wait for in-process jobs to finish.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay(event_name: str, event_type: str | None, url: str | None, wait: float, file: Path) -> None:
    """Send a payload FILE through the receiver's path (verify, route, queue), locally.

    FILE is a Gitea payload (JSON), or a fixture {"headers": {...}, "body": {...}}. It is signed
    with TEABOT_WEBHOOK_SECRET, so the same checks apply as to a delivery from Gitea.
    """
    import httpx

    from bot.receiver.replay import build_delivery, replay_local, replay_remote

    if event_name not in HEADER_EVENTS:
        raise click.BadParameter(f"{event_name!r} is not an event Gitea sends (X-Gitea-Event is one of "
                                 f"{', '.join(HEADER_EVENTS)})", param_hint="--event")
    settings = ensure_secret(load_settings())
    try:
        payload = json.loads(file.read_text())
    except ValueError as exc:
        raise click.ClickException(f"{file} is not JSON: {exc}") from None
    headers, body = build_delivery(payload, event_name, event_type, settings.webhook_secret or "")
    try:
        outcome: dict[str, Any] = (replay_remote(url, headers, body) if url
                                   else replay_local(settings, headers, body, wait=wait))
    except httpx.HTTPError as exc:
        raise click.ClickException(f"could not POST to {url} ({type(exc).__name__}: {exc}): is `teabot serve` "
                                   "running there? Give the webhook URL, e.g. http://127.0.0.1:8080/webhook") from None
    click.echo(json.dumps(outcome, indent=2))
    if outcome["status"] >= 400:
        sys.exit(1)


@click.command()
@click.option("--repo", "repos", multiple=True, required=True, metavar="OWNER/REPO", help="A watched repository (repeat).")
@click.option("--every", type=int, default=None, metavar="SECONDS",
              help="Keep running and sweep every SECONDS (rq's cron scheduler; needs REDIS_URL).")
def sweep(repos: tuple[str, ...], every: int | None) -> None:
    """Start debug sessions for failed runs that have none (catches deliveries Gitea never re-sends).

    It also looks at the failed external CI statuses of open pull requests, and records 👍/👎 on the
    bot's status comments in the failure ledger. Without --every it queues one sweep per repository and exits (run it from cron, or once after
    an outage); with --every it stays up and queues them on that interval.
    """
    from bot.debug.core.settings import job_timeout
    from bot.worker.embedded import EmbeddedQueue
    from bot.worker.queues import JobRequest
    from bot.worker.runtime import Runtime, install

    settings = discover_bot_login(load_settings())
    runtime = install(Runtime.from_settings(settings))
    if every is None:
        for repo in repos:
            runtime.queue.submit(JobRequest(SWEEP_JOB, f"sweep-{secrets.token_hex(8)}", {"repo": repo},
                                            timeout=job_timeout(settings)))
            click.echo(f"sweep queued for {repo}")
        if isinstance(runtime.queue, EmbeddedQueue):
            runtime.queue.join(job_timeout(settings))
        return
    if runtime.redis is None:
        raise click.ClickException("--every needs REDIS_URL (rq's cron scheduler keeps its schedule in Redis)")
    from rq.cron import CronScheduler
    from rq.utils import import_attribute

    scheduler = CronScheduler(connection=runtime.redis)
    for repo in repos:
        scheduler.register(import_attribute(SWEEP_JOB), settings.queue_name, kwargs={"repo": repo}, interval=every,
                           job_timeout=job_timeout(settings), name=f"teabot-sweep-{repo}")
    scheduler.start()


SWEEP_JOB = "bot.debug.jobs.debug_sweep"
# The values of X-Gitea-Event (modules/webhook/type.go `Event()`, Gitea v1.25.4).
HEADER_EVENTS = ("create", "delete", "fork", "issue_comment", "issues", "package", "pull_request",
                 "pull_request_approved", "pull_request_comment", "pull_request_rejected", "push", "release",
                 "repository", "status", "wiki", "workflow_job", "workflow_run")


@click.command()
def version() -> None:
    """Print teabot's version."""
    click.echo(f"teabot {__version__}")


def _redis_display(url: str | None) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url or "")
    return f"{parsed.hostname}:{parsed.port or 6379}"


commands = [serve, worker, replay, sweep, version]
