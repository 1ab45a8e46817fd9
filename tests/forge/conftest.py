"""Fixtures for the Gitea client tests: a seeded fake Gitea, reached in-process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.config.settings import Settings
from harness import cast
from harness.cast import Person
from harness.fake_gitea import FakeGitea
from bot.forge import GiteaClient, make_forge

BOT_TOKEN = "bot-token-0123456789abcdef"
REPO = "acme/widget"


@pytest.fixture
def fake() -> Iterator[FakeGitea]:
    """acme/widget with a few files; `teabot` may write, `alice` is a site admin, `mallory` a stranger."""
    people = (Person("teabot", "write", BOT_TOKEN, "Tea Bot"), Person("alice", None, "alice-token", "Alice Liddell", True),
              Person("mallory", None, "mallory-token"))
    gitea = cast.seed(FakeGitea("1.26.1"), REPO, cast=people, files={
        "README.md": "# widget\n", "src/app.py": "print('hi')\n", ".gitea/workflows/ci.yml": "on: [push]\n",
        ".gitea/workflows/deploy.yml": "on: {}\n"})
    yield gitea
    gitea.stop()


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the client asked to sleep (it never really sleeps in tests)."""
    return []


@pytest.fixture
def forge(fake: FakeGitea, sleeps: list[float]) -> GiteaClient:
    """The bot's client, built by make_forge, talking to the fake in-process."""
    settings = Settings(gitea_url=fake.url, gitea_token=BOT_TOKEN)
    client = make_forge(settings, transport=httpx.WSGITransport(app=fake.app))
    client.transport.sleep = sleeps.append
    return client
