"""Shared fixtures: the single home of the test harnesses (real Redis, fake Gitea, scripted model)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
# Read before the autouse fixture scrubs the environment: .ci/run points this at the Redis it found or started.
TEST_REDIS_URL = os.environ.get("TEABOT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
# A database of its own per test session (parallel sessions on one machine must not flush each other's data).
TEST_REDIS_DB = int(os.environ.get("TEABOT_TEST_REDIS_DB") or 1 + os.getpid() % 15)


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


@pytest.fixture
def redis_url() -> Iterator[str]:
    """URL of a fresh database on the real Redis (flushed before and after the test)."""
    url = f"{TEST_REDIS_URL.rstrip('/')}/{TEST_REDIS_DB}"
    conn = redis_lib.Redis.from_url(url)
    try:
        conn.ping()
    except redis_lib.ConnectionError as exc:  # pragma: no cover - depends on the machine
        pytest.fail(f"no Redis at {TEST_REDIS_URL}: start one (redis-server) or set TEABOT_TEST_REDIS_URL ({exc})")
    conn.flushdb()
    yield url
    conn.flushdb()
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
