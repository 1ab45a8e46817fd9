"""Fixtures for agent tests: the fake Gitea in-process and a client acting as the bot."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.config.settings import Settings
from harness.fake_gitea import FakeGitea
from bot.forge import make_forge
from bot.forge.client import GiteaClient

BOT, BOT_TOKEN = "teabot", "agent-test-token"


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    """A fake Gitea with the bot (write), alice (write), bob (read) and acme/widget."""
    fake = FakeGitea()
    fake.add_user(BOT, BOT_TOKEN)
    for login in ("acme", "alice", "bob"):
        fake.add_user(login)
    fake.add_repo("acme/widget", files={"README.md": "# widget\n"})
    fake.set_permission("acme/widget", BOT, "admin")
    fake.set_permission("acme/widget", "alice", "write")
    fake.set_permission("acme/widget", "bob", "read")
    yield fake
    fake.stop()


@pytest.fixture
def forge(fake: FakeGitea) -> GiteaClient:
    """The bot's Gitea client, talking to the fake in-process."""
    settings = Settings(gitea_url="http://fake.test", gitea_token=BOT_TOKEN, gitea_retries=0)
    return make_forge(settings, transport=httpx.WSGITransport(app=fake.app))
