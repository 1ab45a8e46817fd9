"""`teabot check` and `teabot setup-hook`: the operator's commands for settings, connectivity and the webhook."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from typing import TYPE_CHECKING

import click

from bot.config.settings import ConfigError, Settings

if TYPE_CHECKING:
    from bot.config.secret import Secret


@click.command()
@click.option("--repo", "repos", multiple=True, metavar="OWNER/REPO",
              help="Also check the bot's permission and teabot's webhook on this repository (repeatable).")
@click.option("--webhook-url", default=None, metavar="URL",
              help="teabot's public webhook URL, e.g. https://teabot.example.org/webhook "
                   "(default: any hook posting to a /webhook URL).")
@click.option("--config", "config_mode", is_flag=True,
              help="Only validate teabot files, offline: each FILE (.gitea/teabot.yaml, a workflow or skill "
                   "override) or every teabot file of a checkout DIR (default: the current directory). "
                   "For a pre-commit hook or a CI step.")
@click.argument("paths", nargs=-1, metavar="[FILE|DIR]...", type=click.Path(exists=True, path_type=Path))
def check(repos: tuple[str, ...], webhook_url: str | None, config_mode: bool, paths: tuple[Path, ...]) -> None:
    """Check settings and connectivity, and print what to fix.

    One line per finding: ok, warn or error, what was found, and how to fix it. Checks the
    settings, that Gitea answers (and which features its version has), that the token is valid,
    for each --repo the bot's permission (write or more) and the webhook (events, JSON, active,
    URL), Redis when REDIS_URL is set, and the model endpoint when one is configured.
    Exits 1 when any error was found. Writes nothing.
    """
    from bot.cli.checks import failed, run_checks

    if paths and not config_mode:
        raise click.UsageError("files are checked with --config: teabot check --config FILE...")
    if config_mode:
        from bot.cli.config_check import check_paths

        findings = check_paths(paths or (Path("."),))
    else:
        findings = run_checks(os.environ, repos, webhook_url)
    for finding in findings:
        click.echo(finding.line())
    if failed(findings):
        sys.exit(1)


@click.command("setup-hook")
@click.argument("repo", metavar="OWNER/REPO")
@click.option("--url", required=True, metavar="URL",
              help="teabot's webhook URL as Gitea reaches it, e.g. https://teabot.example.org/webhook.")
@click.option("--events", default=None, metavar="LIST",
              help="Comma-separated Gitea event names (default: the ones teabot needs on this Gitea version).")
@click.option("--dry-run", is_flag=True, help="Print what would be done and change nothing in Gitea.")
def setup_hook(repo: str, url: str, events: str | None, dry_run: bool) -> None:
    """Create teabot's webhook on OWNER/REPO, or repair the one posting to --url.

    The hook is a Gitea-type hook, content type JSON, signed with TEABOT_WEBHOOK_SECRET (or the
    secret `teabot serve` generated in TEABOT_DATA_DIR), active, with the events teabot needs.
    Running it again changes nothing but re-setting the secret. Webhooks need a repository admin:
    run it with an admin's token in TEABOT_GITEA_TOKEN if the bot user only has write access.
    """
    from bot.forge import make_forge
    from bot.forge.errors import Forbidden, ForgeError
    from bot.cli.checks import GITEA_EVENTS, delivery_note
    from bot.cli.checks import setup_hook as plan_and_apply

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("give a full URL starting with http:// or https://", param_hint="--url")
    settings = _settings()
    secret = _secret(settings, dry_run)
    names = [e.strip() for e in (events or "").split(",") if e.strip()]
    if unknown := [e for e in names if e not in GITEA_EVENTS]:
        raise click.BadParameter(f"{', '.join(unknown)}: not Gitea hook event(s); known: {', '.join(GITEA_EVENTS)}",
                                 param_hint="--events")
    try:
        plan = plan_and_apply(make_forge(settings), repo, url, secret.value, names, dry_run=dry_run,
                              secret_source=_source_words(secret))
    except Forbidden as exc:
        raise click.ClickException(f"{exc}: webhooks need admin access to {repo}; run this with a repository "
                                   "admin's token in TEABOT_GITEA_TOKEN") from None
    except (ForgeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(plan.describe(dry_run=dry_run))
    if note := delivery_note(url):
        click.echo(note.line())


def _settings() -> Settings:
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not settings.gitea_token:
        raise click.ClickException("TEABOT_GITEA_TOKEN is not set: setup-hook needs a token of a repository admin")
    return settings


def _secret(settings: Settings, dry_run: bool) -> Secret:
    """The secret `teabot serve` uses, and where it came from; a dry run does not generate one."""
    from bot.config.secret import Secret, ensure_secret, find_secret, secret_path

    found = find_secret(settings)
    if found is not None:
        return found
    if dry_run:
        return Secret("", f"{secret_path(settings)} (generated there by the real run)")
    secret = ensure_secret(settings)
    click.echo(f"No TEABOT_WEBHOOK_SECRET set: generated one in {secret.source}; `teabot serve` reads it from "
               "there (set TEABOT_DATA_DIR the same for both if they run as different users)", err=True)
    return secret


def _source_words(secret: Secret) -> str:
    return "TEABOT_WEBHOOK_SECRET" if secret.source == "TEABOT_WEBHOOK_SECRET" else f"the secret in {secret.source}"


commands = [check, setup_hook]
