"""A redis-server of a test's own: started on a free port, killed with -9 and started again on the same port.

Fault tests break it on purpose, so it is never the suite's shared Redis (and never one on 6379).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from harness.rig import free_port, wait_for


class RedisServer:
    """A private redis-server, with AOF (`persistent`, fsync `fsync`) or without any persistence."""

    def __init__(self, workdir: Path, *, persistent: bool = False, fsync: str = "always") -> None:
        self.port = free_port()
        self.workdir = workdir
        self.persistent = persistent
        self.fsync = fsync
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """Its database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again) and wait until it answers; skip the test when redis-server is not installed."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed: .ci/run installs it (apt-get install redis-server)")
        persistence = ["--appendonly", "yes", "--appendfsync", self.fsync] if self.persistent else ["--appendonly", "no"]
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         *persistence, "--dir", str(self.workdir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _pings(redis.Redis(port=self.port)), 20, what="the private redis-server")

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    stop = kill

    def client(self) -> redis.Redis:
        """A client of its own."""
        return redis.Redis(port=self.port, socket_timeout=5)


def _pings(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False
