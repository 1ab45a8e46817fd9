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
def fake_gitea(host: str, port: int, seed: Path | None, webhook_url: str | None, webhook_secret: str) -> None:
    """Run the fake Gitea test harness: an in-memory HTTP server with Gitea's API shapes."""
    from bot.cli.source import use_harness

    use_harness()
    from harness.fake_gitea import run

    run(host=host, port=port, seed=seed, webhook_url=webhook_url, webhook_secret=webhook_secret)


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
