"""Shared fixtures: the single home of the test harnesses (real Redis, fake Gitea, scripted model)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_lib

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
# Read before the autouse fixture scrubs the environment. Unset: the suite starts a redis-server of its own.
GIVEN_REDIS_URL = os.environ.get("TEABOT_TEST_REDIS_URL", "").strip()
# Only with this set may the suite flushdb a Redis it did not start (CI's throwaway service container).
FLUSH_GIVEN_REDIS = os.environ.get("TEABOT_TEST_REDIS_FLUSH", "") in ("1", "true", "yes")
CLAIM_KEY = "teabot-test:claimed-by"


@pytest.fixture(autouse=True)
def _scrubbed_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's teabot, model or Redis settings, nor write into their data directory."""
    for name in list(os.environ):
        if name.startswith(("TEABOT_", "OPENAI_", "GITEA_", "GITHUB_", "PROMETHEUS_")) or name == "REDIS_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a clear message when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data sits beside the repository (../shared)")
    return path


@dataclass
class SuiteRedis:
    """The Redis the suite uses: one it started (free to flush) or one it was given (flushed only when told)."""

    url: str
    owned: bool
    next_db: int = 0

    def database(self) -> tuple[str, bool]:
        """A database URL for one test, and whether the test may flush it."""
        base = re.sub(r"/\d*$", "", self.url)  # a database in the given URL is replaced by one per test
        if self.owned:
            self.next_db = (self.next_db + 1) % 16
            return f"{base}/{self.next_db}", True
        return f"{base}/{_claim_empty_database(base)}", False


def _claim_empty_database(base: str) -> int:
    """An empty database of a shared Redis, marked as this process's so parallel sessions pick others."""
    for db in range(1, 16):
        conn = redis_lib.Redis.from_url(f"{base}/{db}")
        try:
            if conn.dbsize() == 0 and conn.set(CLAIM_KEY, os.getpid(), nx=True, ex=3600):
                return db
        finally:
            conn.close()
    pytest.fail(f"every database of {base} holds data, and the suite only uses empty ones on a Redis it did "
                "not start: free one, unset TEABOT_TEST_REDIS_URL (the suite then starts a redis-server), "
                "or set TEABOT_TEST_REDIS_FLUSH=1 if that Redis is a throwaway")


def _release(conn: redis_lib.Redis) -> None:
    """Delete what a test wrote into the database it claimed (the claim included), key by key."""
    for key in conn.scan_iter(count=500):
        conn.delete(key)


@pytest.fixture(scope="session")
def test_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteRedis]:
    """A redis-server of the suite's own on a free port, or the one TEABOT_TEST_REDIS_URL names."""
    if GIVEN_REDIS_URL:
        yield SuiteRedis(GIVEN_REDIS_URL, owned=FLUSH_GIVEN_REDIS)
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does it), and "
                    "TEABOT_TEST_REDIS_URL names no Redis")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn = redis_lib.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            conn.ping()
            break
        except redis_lib.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"the suite's redis-server on port {port} did not start")
            time.sleep(0.05)
    conn.close()
    yield SuiteRedis(f"redis://127.0.0.1:{port}", owned=True)
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis_url(test_redis: SuiteRedis) -> Iterator[str]:
    """URL of an empty database for this test; only a Redis the suite owns is flushed."""
    url, flush = test_redis.database()
    conn = redis_lib.Redis.from_url(url)
    try:
        conn.ping()
    except redis_lib.ConnectionError as exc:  # pragma: no cover - depends on the machine
        pytest.fail(f"no Redis at {test_redis.url}: start one, or unset TEABOT_TEST_REDIS_URL ({exc})")
    if flush:
        conn.flushdb()
    yield url
    if flush:
        conn.flushdb()
    else:
        _release(conn)
    conn.close()


@pytest.fixture
def redis(redis_url: str) -> Iterator[redis_lib.Redis]:
    """A client on the fresh test database."""
    conn = redis_lib.Redis.from_url(redis_url)
    yield conn
    conn.close()


# --- recorded deliveries ---------------------------------------------------------------------------------
import copy  # noqa: E402
import json  # noqa: E402

from bot.events import signature_of  # noqa: E402
from bot.worker.queues import JobRequest  # noqa: E402

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "payloads"
TEST_SECRET = "test-webhook-secret"


def load_case(case: str) -> dict:
    """A recorded delivery `event/case` as {"headers": {...}, "body": {...}} (a fresh copy)."""
    return copy.deepcopy(json.loads((FIXTURES / f"{case}.json").read_text()))


def signed(case: dict, secret: str = TEST_SECRET, *, delivery: str = "d-1") -> tuple[dict[str, str], bytes]:
    """Headers and body of `case`, signed as Gitea signs them."""
    body = json.dumps(case["body"]).encode()
    headers = dict(case["headers"], **{"X-Gitea-Delivery": delivery, "X-Gitea-Signature": signature_of(body, secret)})
    return headers, body


def comment_case(text: str, *, pull: bool = False, login: str = "alice", comment_id: int = 118) -> dict:
    """The recorded issue_comment delivery with another comment text, author or id."""
    case = load_case("issue_comment/created_pull" if pull else "issue_comment/created")
    comment = case["body"]["comment"]
    comment["body"], comment["id"] = text, comment_id
    comment["user"]["login"] = case["body"]["sender"]["login"] = login
    return case


class RecordingQueue:
    """A job queue that keeps what it is given and runs nothing (tests run the steps they want themselves)."""

    def __init__(self) -> None:
        self.requests: list[JobRequest] = []

    def submit(self, request: JobRequest) -> bool:
        self.requests.append(request)
        return True

    def submit_in(self, seconds: float, request: JobRequest) -> bool:
        return self.submit(request)

    def ping(self) -> bool:
        return True

    def describe(self) -> str:
        return "recording"

