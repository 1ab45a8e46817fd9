"""The suite's Redis: its own redis-server by default; a given one is never flushed unless told."""

from __future__ import annotations

import pytest
import redis as redis_lib

from tests.conftest import CLAIM_KEY, GIVEN_REDIS_URL, SuiteRedis, _release


def test_by_default_the_suite_runs_its_own_redis_server(test_redis: SuiteRedis) -> None:
    if GIVEN_REDIS_URL:
        assert test_redis.url == GIVEN_REDIS_URL
    else:
        assert test_redis.owned and not test_redis.url.endswith(":6379")


def test_each_test_gets_an_empty_database(redis: redis_lib.Redis) -> None:
    assert set(redis.keys()) <= {CLAIM_KEY.encode()}
    redis.set("k", "v")


def test_a_given_redis_is_used_only_in_empty_databases_and_never_flushed(test_redis: SuiteRedis) -> None:
    if not test_redis.owned:
        pytest.skip("stages someone else's data in database 1: runs only on a Redis the suite may flush")
    base = test_redis.url.rstrip("/")
    other = redis_lib.Redis.from_url(f"{base}/1")
    other.flushdb()
    other.set("someone-elses", "data")  # pose as a shared Redis with another user's data in database 1
    claimed = None
    try:
        url, may_flush = SuiteRedis(base, owned=False).database()
        claimed = redis_lib.Redis.from_url(url)
        assert not may_flush and not url.endswith("/1")
        assert claimed.get(CLAIM_KEY) is not None
        claimed.set("written-by-the-test", "x")
        _release(claimed)
        assert claimed.dbsize() == 0
        assert other.get("someone-elses") == b"data"
    finally:
        other.flushdb()
        if claimed is not None:
            _release(claimed)
