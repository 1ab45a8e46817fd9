"""Fixtures for agent tests: the fake Gitea in-process and a client acting as the bot."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.config.settings import Settings
from harness import cast
from harness.cast import BOT, BOT_TOKEN
from harness.fake_gitea import FakeGitea
from bot.forge import make_forge
from bot.forge.client import GiteaClient



@pytest.fixture
def gitea_version() -> str:
    """The Gitea release the fake behaves as (parametrize a test to change it)."""
    return "1.25"


@pytest.fixture
def fake(gitea_version: str) -> Iterator[FakeGitea]:
    """A fake Gitea with the standard cast: the bot (admin), alice (write), bob (read) on acme/widget."""
    fake = cast.seed(FakeGitea(gitea_version))
    yield fake
    fake.stop()


@pytest.fixture
def forge(fake: FakeGitea) -> GiteaClient:
    """The bot's Gitea client, talking to the fake in-process."""
    settings = Settings(gitea_url="http://fake.test", gitea_token=BOT_TOKEN, gitea_retries=0)
    return make_forge(settings, transport=httpx.WSGITransport(app=fake.app))
