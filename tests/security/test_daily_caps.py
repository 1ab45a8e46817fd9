"""Daily model-call caps: counted per UTC day in Redis (INCR + EXPIREAT), in the state file or in the process,
checked before each call."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import redis as redis_lib

from bot.config.repo import Limits
from bot.llm.reply import Reply
from bot.llm.usage import DailyCaps
from bot.worker.caps import CallCounter, CappedLLM, DailyCapReached, capped
from bot.worker.state import StateDB

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


class Echo:
    """A model double counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages, **options):
        self.calls += 1
        return Reply("ok")


def test_calls_are_counted_in_redis_with_the_days_expiry(redis: redis_lib.Redis) -> None:
    counter = CallCounter.for_limits(redis, "Acme/Widget", "Bob", Limits(repo_daily_calls=3, user_daily_calls=2))
    model = Echo()
    llm = CappedLLM(model, counter)
    llm.complete([])
    llm.complete([])
    with pytest.raises(DailyCapReached, match="@\u2060Bob has used their 2 model calls"):
        llm.complete([])
    assert model.calls == 2
    repo_key, user_key = counter.keys
    assert repo_key == f"teabot:calls:{counter.now:%Y-%m-%d}:acme/widget" and int(redis.get(user_key)) == 2
    assert 0 < redis.ttl(repo_key) <= 25 * 3600  # EXPIREAT: the counters go away after their day
    other = CallCounter.for_limits(redis, "acme/widget", "alice", Limits(repo_daily_calls=3, user_daily_calls=2))
    assert other.refusal() == ""
    other.count()
    assert "acme/widget has used its 3 model calls" in other.refusal()  # the repository's cap covers everyone


def test_without_redis_the_process_counts_per_day() -> None:
    counter = CallCounter(None, "acme/solo", "carol", DailyCaps(0, 1), NOON)
    assert counter.refusal() == ""
    counter.count()
    assert "carol" in counter.refusal()
    assert CallCounter(None, "acme/solo", "carol", DailyCaps(0, 1), NOON.replace(day=2)).refusal() == ""


def test_without_redis_the_state_file_counts_per_day_for_every_process(tmp_path) -> None:
    limits = Limits(repo_daily_calls=3, user_daily_calls=2)
    serve, sweep = StateDB.under(tmp_path), StateDB.under(tmp_path)  # `teabot serve` and a `teabot sweep` beside it
    llm = CappedLLM(Echo(), CallCounter.for_limits(serve, "Acme/Widget", "Bob", limits))
    llm.complete([])
    CallCounter.for_limits(sweep, "acme/widget", "bob", limits).count()
    with pytest.raises(DailyCapReached, match="@\u2060Bob has used their 2 model calls"):
        llm.complete([])
    assert CallCounter.for_limits(sweep, "acme/widget", "alice", limits).refusal() == ""  # 2 of the repository's 3
    CallCounter.for_limits(sweep, "acme/widget", "alice", limits).count()
    assert "acme/widget has used its 3 model calls" in CallCounter.for_limits(serve, "acme/widget", "carol", limits).refusal()
    tomorrow = CallCounter(serve, "acme/widget", "bob", DailyCaps(3, 2), NOON.replace(year=2099))
    assert tomorrow.refusal() == ""  # another day, other counters
    tomorrow.count()  # and yesterday's rows are dropped as it counts
    assert serve.value("SELECT COUNT(*) FROM calls WHERE expires < ?", (NOON.replace(year=2099).timestamp(),)) == 0


def test_zero_turns_a_cap_off_and_model_free_stays_model_free(redis: redis_lib.Redis) -> None:
    counter = CallCounter.for_limits(redis, "acme/widget", "bob", Limits(repo_daily_calls=0, user_daily_calls=0))
    for _ in range(5):
        counter.count()
    assert counter.refusal() == ""
    assert capped(None, counter) is None
