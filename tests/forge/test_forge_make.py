"""make_forge: the one place that turns Settings into an httpx.Client and a GiteaClient."""

from __future__ import annotations

import httpx

from bot import __version__
from bot.config.settings import Settings
from bot.forge import GiteaClient, make_forge


def test_client_is_built_from_settings() -> None:
    settings = Settings(gitea_url="https://gitea.example.com/", gitea_token="t0k", gitea_timeout=12.5,
                        gitea_retries=5)
    forge = make_forge(settings)
    assert isinstance(forge, GiteaClient)
    assert str(forge.http.base_url) == "https://gitea.example.com/api/v1/"
    assert forge.http.headers["Authorization"] == "token t0k"
    assert forge.http.headers["User-Agent"] == f"teabot/{__version__}"
    assert forge.http.timeout == httpx.Timeout(12.5, connect=10.0)
    assert forge.transport.retries == 5


def test_short_timeouts_also_bound_connecting() -> None:
    forge = make_forge(Settings(gitea_timeout=3.0))
    assert forge.http.timeout.connect == 3.0 and "Authorization" not in forge.http.headers


def test_transport_is_used_for_every_request() -> None:
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers["Authorization"]))
        return httpx.Response(200, json={"version": "1.25.4"})

    forge = make_forge(Settings(gitea_url="http://g", gitea_token="abc"), transport=httpx.MockTransport(answer))
    assert forge.version() == "1.25.4" and seen == [("/api/v1/version", "token abc")]
