"""`teabot dev ...`: start the test and demo harnesses (a fake Gitea, a scripted model).

Neither harness is Gitea or a model: they exist so that tests and demos can run the real
bot end to end on one machine with no network.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def dev() -> None:
    """Test and demo harnesses (not for production)."""


@dev.command("fake-gitea")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port to listen on (0 picks a free one).")
@click.option("--seed", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON/YAML file describing users, repositories, files and issues to start with.")
@click.option("--webhook-url", help="Deliver signed webhooks for every change to this URL.")
@click.option("--webhook-secret", default="", help="Secret used to sign delivered webhooks.")
@click.option("--gitea-version", type=click.Choice(["1.24", "1.25", "1.26", "1.27"]), default=None,
              help="The Gitea release to behave as (default: the seed's version, else 1.25).")
@click.option("--admin", metavar="USER:PASSWORD",
              help="A site admin signing in by basic auth; without --seed the fake starts empty, to be set up "
                   "through Gitea's API (POST /admin/users, /users/{u}/tokens, /user/repos, ...).")
@click.option("--root-url", default=None, metavar="URL",
              help="Gitea's ROOT_URL: links and attachment URLs are built from it (default: the served address).")
def fake_gitea(host: str, port: int, seed: Path | None, webhook_url: str | None, webhook_secret: str,
               gitea_version: str | None, admin: str | None, root_url: str | None) -> None:
    """Run the fake Gitea test harness: an in-memory HTTP server modelled on Gitea's API."""
    from bot.cli.source import use_harness

    use_harness()
    from harness.fake_gitea import run

    run(host=host, port=port, seed=seed, webhook_url=webhook_url, webhook_secret=webhook_secret,
        version=gitea_version, admin=admin, root_url=root_url)


@dev.command("fake-model")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on (0 picks a free one).")
@click.option("--script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON/YAML file with the replies to play back, in order.")
def fake_model(host: str, port: int, script: Path | None) -> None:
    """Run the scripted model test harness: an OpenAI-compatible server that replays a script."""
    from bot.cli.source import use_harness

    use_harness()
    from harness.fake_model import run

    run(host=host, port=port, script=script)


commands = [dev]
