"""Fault tests against real processes: each starts what it breaks (its own redis-server, its own rig)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.redis_server import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server without persistence."""
    server = RedisServer(tmp_path / "redis", persistent=False)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server with AOF (appendfsync always)."""
    server = RedisServer(tmp_path / "redis", persistent=True)
    server.start()
    yield server
    server.kill()
