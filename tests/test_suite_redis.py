"""The suite's Redis: its own redis-server by default; a given one is never flushed unless told."""

from __future__ import annotations

import redis as redis_lib

from tests.conftest import CLAIM_KEY, GIVEN_REDIS_URL, SuiteRedis, _claim_empty_database, _release


def test_by_default_the_suite_runs_its_own_redis_server(test_redis: SuiteRedis) -> None:
    if GIVEN_REDIS_URL:
        assert test_redis.url == GIVEN_REDIS_URL
    else:
        assert test_redis.owned and not test_redis.url.endswith(":6379")


def test_each_test_gets_an_empty_database(redis: redis_lib.Redis) -> None:
    assert set(redis.keys()) <= {CLAIM_KEY.encode()}
    redis.set("k", "v")


def test_a_given_redis_is_used_only_in_empty_databases_and_never_flushed(test_redis: SuiteRedis) -> None:
    # Pose as a shared Redis (the suite's own server), with someone else's data in database 1.
    base = test_redis.url.rstrip("/").rsplit("/", 1)[0] if test_redis.url.count("/") > 2 else test_redis.url
    other = redis_lib.Redis.from_url(f"{base}/1")
    other.flushdb() if test_redis.owned else None
    if other.dbsize():
        return  # a real shared Redis: nothing of ours to stage here
    other.set("someone-elses", "data")
    try:
        shared = SuiteRedis(base, owned=False)
        url, may_flush = shared.database()
        assert not may_flush and not url.endswith("/1")
        mine = redis_lib.Redis.from_url(url)
        assert mine.get(CLAIM_KEY) is not None
        mine.set("written-by-the-test", "x")
        _release(mine)
        assert mine.dbsize() == 0
        assert other.get("someone-elses") == b"data"
        assert _claim_empty_database(base) != 1
    finally:
        other.delete("someone-elses")
        for db in range(2, 16):
            _release(redis_lib.Redis.from_url(f"{base}/{db}"))
