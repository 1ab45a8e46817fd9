"""`teabot handover issue|rotate|rotate-key`: the per-repository credentials of `teabot debug --from-event`."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from bot.config.settings import ConfigError, Settings

F = TypeVar("F", bound=Callable[..., Any])
SECRET_NAME = "TEABOT_HANDOVER_TOKEN"


def _errors(func: F) -> F:
    """Configuration, store and Gitea errors as one readable message and exit status 1."""
    from bot.forge.errors import ForgeError
    from bot.receiver.generations import GenerationsUnavailable

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, GenerationsUnavailable, ForgeError) as exc:
            raise click.ClickException(str(exc)) from None

    return run  # type: ignore[return-value]


def _credential(settings: Settings, repo: str, generation: int) -> str:
    from bot.config.keys import handover_key
    from bot.security.handover import credential_for

    try:
        return credential_for(handover_key(settings), repo, generation)
    except ValueError as exc:
        raise click.UsageError(f"{exc}, e.g. acme/widget") from None


def _install(settings: Settings, repo: str, secret_name: str, credential: str, generation: int) -> str:
    """Store the credential as the repository's Actions secret; returns what was done."""
    from bot.forge import make_forge
    from bot.forge.errors import Forbidden, NotFound

    if not settings.gitea_token:
        raise click.ClickException("TEABOT_GITEA_TOKEN is not set: --install needs a Gitea token of the repository's "
                                   "owner or a site admin")
    try:
        created = make_forge(settings).set_actions_secret(repo, secret_name, credential,
                                                          f"teabot hand-over credential, generation {generation}")
    except Forbidden:
        raise click.ClickException(
            f"Gitea refused to set the secret on {repo}: only the repository's owner or a site admin may set Actions "
            "secrets (Gitea 1.25 `reqOwner`). Run with such a token in TEABOT_GITEA_TOKEN, or leave out --install and "
            f"set the secret {secret_name} by hand (repository Settings → Actions → Secrets)") from None
    except NotFound:
        raise click.ClickException(f"{repo}: no such repository, or the token cannot see it (Actions secrets need "
                                   "Gitea 1.19 or newer)") from None
    return f"{'created' if created else 'replaced'} the Actions secret {secret_name} of {repo} (generation {generation})"


def _hand_out(settings: Settings, repo: str, generation: int, install: bool, secret_name: str, done: str = "") -> None:
    credential = _credential(settings, repo, generation)
    if not install:
        click.echo(credential)
        click.echo(f"{done}store it as the Actions secret {secret_name} of {repo} (or run again with --install)", err=True)
        return
    try:
        click.echo(done + _install(settings, repo, secret_name, credential, generation))
    except click.ClickException as exc:
        if done:
            exc.message = f"{done}but {exc.message}; then `teabot handover issue {repo} --install` installs it"
        raise


def _options(func: F) -> F:
    func = click.option("--secret-name", default=SECRET_NAME, show_default=True,
                        help="The name of the repository secret --install writes.")(func)
    func = click.option("--install", is_flag=True,
                        help="Store the credential as the repository's Actions secret through Gitea's API instead of "
                             "printing it (TEABOT_GITEA_TOKEN must be the repository owner's or a site admin's).")(func)
    return click.argument("repo", metavar="OWNER/REPO")(func)


@click.group("handover")
def handover() -> None:
    """Credentials Actions steps hand failed runs to this server with.

    `teabot debug --from-event` POSTs a failed run to the server's /handover with its repository's
    credential (repository secret TEABOT_HANDOVER_TOKEN); a credential is good for its own repository
    only. Run these commands with the server's environment (TEABOT_DATA_DIR, REDIS_URL,
    TEABOT_HANDOVER_KEY), so they use the server's key and record rotations where it reads them.
    """


@handover.command("issue")
@_options
@_errors
def issue(repo: str, install: bool, secret_name: str) -> None:
    """Print OWNER/REPO's current credential (or install it as the repository's secret)."""
    from bot.receiver.generations import make_generations

    settings = Settings.from_env(os.environ)
    _credential(settings, repo, 1)  # a malformed name is a usage error before anything is read
    _hand_out(settings, repo, make_generations(settings).current(repo), install, secret_name)


@handover.command("rotate")
@_options
@_errors
def rotate(repo: str, install: bool, secret_name: str) -> None:
    """Give OWNER/REPO a new credential; the server refuses its older ones from now on."""
    from bot.receiver.generations import make_generations

    settings = Settings.from_env(os.environ)
    _credential(settings, repo, 1)
    generation = make_generations(settings).rotate(repo)
    _hand_out(settings, repo, generation, install, secret_name, done=f"rotated {repo} to generation {generation}; ")


@handover.command("rotate-key")
@click.option("--yes", is_flag=True, help="Do it without asking.")
@_errors
def rotate_key(yes: bool) -> None:
    """Replace the server's hand-over key: EVERY repository's credential stops working until re-issued.

    For a key that may have leaked. With TEABOT_HANDOVER_KEY set, change that instead and restart.
    """
    from bot.config.keys import rotate_handover_key

    settings = Settings.from_env(os.environ)
    if not yes:
        click.confirm("Every repository's hand-over credential will be refused until re-issued. Go on?", abort=True)
    path = rotate_handover_key(settings)
    click.echo(f"new hand-over key in {path}: re-issue each repository's credential with "
               "`teabot handover issue OWNER/REPO --install`")


commands = [handover]
