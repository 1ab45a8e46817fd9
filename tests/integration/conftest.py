"""Integration fixtures: the rig of real processes (receiver, rq workers) against the fake Gitea and real Redis."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.rig import Rig, free_port, wait_for

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


class PrivateRedis:
    """A redis-server of the test's own, which the test may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed: .ci/run installs it (apt-get install redis-server)")
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.workdir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        wait_for(lambda: _pings(redis.Redis(port=self.port)), 10, what="the private redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _pings(conn) -> bool:
    try:
        return bool(conn.ping())
    except Exception:
        return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
