"""Session storage: the Redis store against the real Redis, the SQLite store and the in-memory store behave alike."""

import threading

import pytest
import redis as redis_lib

from bot.debug.store import MemorySessionStore, RedisSessionStore, SqliteSessionStore
from bot.worker.state import StateDB


@pytest.fixture(params=["redis", "sqlite", "memory"])
def store(request, redis: redis_lib.Redis, tmp_path):
    if request.param == "sqlite":
        return SqliteSessionStore(StateDB.under(tmp_path))
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


def test_the_sqlite_store_is_shared_through_the_file(tmp_path) -> None:
    one, other = SqliteSessionStore(StateDB.under(tmp_path)), SqliteSessionStore(StateDB.under(tmp_path))  # two processes
    one.save("k1", '{"state": "waiting_ci"}', repo="acme/widget", branch="teabot/fix/ci-15", commits=["abc123"])
    one.mark_swept("acme/widget", 1700000000.5)
    assert other.load("k1") == '{"state": "waiting_ci"}' and other.keys("acme/widget") == ["k1"]
    assert other.key_for_branch("acme/widget", "teabot/fix/ci-15") == "k1" == other.key_for_commit("acme/widget", "abc123")
    assert other.last_sweep("acme/widget") == 1700000000.5
    with one.lock("k1", timeout=5), pytest.raises(TimeoutError):
        with other.lock("k1", timeout=0.3):
            pass
    with other.lock("k1", timeout=1):  # released by the first holder
        pass


def test_a_sqlite_lock_whose_holder_died_frees_itself_after_its_timeout(tmp_path) -> None:
    now = [1000.0]
    dead = SqliteSessionStore(StateDB.under(tmp_path), clock=lambda: now[0])
    alive = SqliteSessionStore(StateDB.under(tmp_path), clock=lambda: now[0])
    held = dead.lock("k1", timeout=60)
    held.__enter__()  # never left: the process holding it was killed
    with pytest.raises(TimeoutError):
        with alive.lock("k1", timeout=0.2):
            pass
    now[0] += 61
    with alive.lock("k1", timeout=1):
        pass


def test_sqlite_sessions_expire_after_their_ttl(tmp_path) -> None:
    now = [1000.0]
    store = SqliteSessionStore(StateDB.under(tmp_path), ttl=100, clock=lambda: now[0])
    store.save("old", "{}", repo="acme/widget", branch="teabot/fix/a")
    now[0] += 101
    store.save("new", "{}", repo="acme/widget")
    assert store.load("old") is None and store.keys("acme/widget") == ["new"]
    assert store.key_for_branch("acme/widget", "teabot/fix/a") is None
