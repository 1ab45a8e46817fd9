"""The Gitea boundary: `make_forge(settings)` builds the one GiteaClient a process uses."""

from __future__ import annotations

import httpx

from bot import __version__
from bot.config.settings import Settings
from bot.forge.capabilities import Capabilities
from bot.forge.client import GiteaClient
from bot.forge.errors import ForgeError

__all__ = ["Capabilities", "ForgeError", "GiteaClient", "make_forge"]


def make_forge(settings: Settings, transport: httpx.BaseTransport | None = None) -> GiteaClient:
    """A GiteaClient for `settings`; tests pass `transport` (e.g. `httpx.WSGITransport(app=fake.app)`)."""
    headers = {"Accept": "application/json", "User-Agent": f"teabot/{__version__}"}
    if settings.gitea_token:
        headers["Authorization"] = f"token {settings.gitea_token}"
    timeout = httpx.Timeout(settings.gitea_timeout, connect=min(10.0, settings.gitea_timeout))
    http = httpx.Client(base_url=settings.api_url, headers=headers, timeout=timeout, transport=transport)
    return GiteaClient(http, retries=settings.gitea_retries)
