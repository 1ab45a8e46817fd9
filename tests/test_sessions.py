"""Session storage: the Redis store against the real Redis, and the in-memory store, behave alike."""

import threading

import pytest
import redis as redis_lib

from bot.debug.store import MemorySessionStore, RedisSessionStore


@pytest.fixture(params=["redis", "memory"])
def store(request, redis: redis_lib.Redis):
    return RedisSessionStore(redis) if request.param == "redis" else MemorySessionStore()


def test_save_load_and_indexes(store) -> None:
    assert store.load("k1") is None and store.keys("acme/widget") == []
    store.save("k1", '{"state": "fixing"}', repo="acme/widget", branch="teabot/fix/ci-15")
    store.save("k2", '{"state": "green"}', repo="acme/widget")
    store.save("k1", '{"state": "waiting_ci"}', repo="acme/widget")
    assert store.load("k1") == '{"state": "waiting_ci"}'
    assert store.key_for_branch("acme/widget", "teabot/fix/ci-15") == "k1"
    assert store.key_for_branch("acme/widget", "main") is None
    assert store.keys("acme/widget") == ["k1", "k2"] and store.keys("other/repo") == []


def test_the_lock_serialises_steps_of_one_session(store) -> None:
    order: list[str] = []
    trying = threading.Event()
    with store.lock("k1", timeout=5):
        thread = threading.Thread(target=lambda: _locked(store, order, trying))
        thread.start()
        assert trying.wait(5)  # the other step is about to take the lock we hold
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def _locked(store, order: list[str], trying: threading.Event) -> None:
    trying.set()
    with store.lock("k1", timeout=5):
        order.append("second")


def test_the_last_complete_sweep_is_kept_per_repository(store) -> None:
    assert store.last_sweep("acme/widget") is None
    store.mark_swept("acme/widget", 1700000000.5)
    assert store.last_sweep("acme/widget") == 1700000000.5 and store.last_sweep("other/repo") is None
