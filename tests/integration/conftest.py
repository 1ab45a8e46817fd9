"""Integration fixtures: the rig of real processes (receiver, rq workers) against the fake Gitea and real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.redis_server import RedisServer
from harness.rig import Rig

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(tmp_path: Path, redis_url: str) -> Iterator[Rig]:
    """The standard rig on the real Redis with one worker."""
    rig = Rig(tmp_path / "rig", redis_url=redis_url)
    rig.seed()
    with rig:
        rig.start()
        yield rig


@pytest.fixture
def embedded_rig(tmp_path: Path) -> Iterator[Rig]:
    """The rig with no Redis: `teabot serve` runs jobs in-process."""
    rig = Rig(tmp_path / "rig", redis_url=None)
    rig.seed()
    with rig:
        rig.start()
        yield rig


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own without persistence, which the test may stop and start again."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
