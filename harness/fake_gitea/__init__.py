"""A fake Gitea: a TEST AND DEMO HARNESS with Gitea's API shapes and webhooks. It is not Gitea.

In-memory state behind a WSGI app (werkzeug), usable in-process through `httpx.WSGITransport`
or as a real HTTP server on 127.0.0.1; it enforces token auth and repository permissions,
records every request, serves job logs and delivers signed webhooks. `run()` backs
`teabot dev fake-gitea`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from werkzeug.serving import make_server

from harness.fake_gitea.app import Call, Trigger
from harness.fake_gitea.seed import DEMO_SEED, apply_seed, load_seed
from harness.fake_gitea.server import FakeGitea
from harness.fake_gitea.webhooks import Delivery

__all__ = ["Call", "Delivery", "FakeGitea", "Trigger", "run"]

log = logging.getLogger(__name__)


def run(host: str = "127.0.0.1", port: int = 3000, seed: Path | None = None, webhook_url: str | None = None,
        webhook_secret: str = "", version: str | None = None, admin: str | None = None,
        root_url: str | None = None) -> None:
    """Serve a fake Gitea until interrupted.

    `seed` describes the starting state; without one, `admin` ("USER:PASSWORD", a site admin who
    signs in by basic auth) starts an empty instance to be set up through the API, and without
    either the demo seed is used. `version` ("1.25") picks the release the fake plays.
    """
    data = load_seed(seed) if seed else ({} if admin else DEMO_SEED)
    fake = FakeGitea(version or str(data.get("version", "1.25.4")), root_url=root_url)
    if admin:
        login, _, password = admin.partition(":")
        if not login or not password:
            raise click.BadParameter("give the site admin as USER:PASSWORD", param_hint="--admin")
        fake.add_user(login, admin=True, password=password)
    apply_seed(fake, data)
    if webhook_url:
        fake.add_system_hook(webhook_url, webhook_secret)
    server = make_server(host, port, fake.app, threaded=True)
    fake.state.base_url = f"http://{host}:{server.server_port}"
    click.echo(f"fake Gitea {fake.state.version} (test and demo harness, not Gitea) on {fake.state.base_url}/api/v1")
    for user in fake.state.users.values():
        if user.token and not user.password:
            click.echo(f"  user {user.login}: token {user.token}")
        elif user.password:
            click.echo(f"  site admin {user.login}: basic auth with the given password")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        fake.deliverer.close()
