"""Fault tests against real processes: each starts what it breaks (its own redis-server, its own rig)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from harness.rig import free_port, wait_for

pytestmark = pytest.mark.integration


class Server:
    """A redis-server of the test's own that the test may kill -9 and start again on the same port."""

    def __init__(self, workdir: Path, *, persistent: bool, fsync: str = "always") -> None:
        self.port = free_port()
        self.workdir = workdir
        self.persistent = persistent
        self.fsync = fsync
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed: .ci/run installs it (apt-get install redis-server)")
        persistence = ["--appendonly", "yes", "--appendfsync", self.fsync] if self.persistent else ["--appendonly", "no"]
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         *persistence, "--dir", str(self.workdir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        connection = redis.Redis(port=self.port)
        wait_for(lambda: _pings(connection), 20, what="the private redis-server")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


def _pings(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Server]:
    """A private redis-server without persistence."""
    server = Server(tmp_path / "redis", persistent=False)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[Server]:
    """A private redis-server with AOF (appendfsync always)."""
    server = Server(tmp_path / "redis", persistent=True)
    server.start()
    yield server
    server.kill()
