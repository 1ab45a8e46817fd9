"""The failure ledger, in Redis and in the state file (no Redis): the same records, queries and bounds."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.debug.ledger import PREFIX, FailureRecord, Ledger, compress_log, iso_week
from bot.debug.ledger_db import SqliteLedger
from bot.triage import triage
from bot.worker.state import StateDB

WEEK = 7 * 86400
T0 = 1_714_560_000.0  # 2024-05-01 (ISO week 18)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def record(result, run_id: int, **extra) -> FailureRecord:
    return FailureRecord.from_triage(result, repo="org/app", run_id=run_id, job_id=run_id * 10,
                                     workflow="ci.yml", branch="main", commit="9fceb02", trigger="push",
                                     fetched_at="2024-05-01T10:00:00Z", **extra)


C_ERROR = b"build\nsrc/a.c:3:1: error: 'foo' undeclared (first use in this function)\n"
C_ERROR_2 = b"other\nlib/b.c:99:7: error: 'foo' undeclared (first use in this function)\n"
NPM = b"npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/nopkg\n"


@pytest.fixture(params=["redis", "sqlite"])
def open_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Any]:
    """Opens the ledger of one backend; each call is another process's view of the same store."""
    if request.param == "redis":
        redis = request.getfixturevalue("redis")
        return lambda **options: Ledger(redis, **options)
    return lambda **options: SqliteLedger(StateDB.under(tmp_path), **options)


def test_record_and_read_back(open_ledger) -> None:
    ledger = open_ledger(clock=Clock(T0))
    result = triage(C_ERROR)
    fid = ledger.record(record(result, 1, raw_log=C_ERROR))
    got = ledger.get(fid)
    assert got is not None
    assert (got.repo, got.run_id, got.job_id, got.workflow, got.branch, got.commit, got.trigger) == \
        ("org/app", "1", "10", "ci.yml", "main", "9fceb02", "push")
    assert got.fingerprint == result.fingerprint and got.category == "compile"
    assert got.lines == result.lines and got.excerpt == result.excerpt
    assert ledger.raw_log(fid) == C_ERROR
    assert got.raw_bytes == len(C_ERROR) and not got.raw_truncated
    assert ledger.get("999") is None and ledger.get("not-an-id") is None
    assert open_ledger(clock=Clock(T0)).get(fid) == got  # another process reads the same store


def test_entries_live_ninety_days_in_redis(redis) -> None:
    fid = Ledger(redis, clock=Clock(T0)).record(record(triage(C_ERROR), 1))
    assert 0 < redis.ttl(f"{PREFIX}failure:{fid}") <= 90 * 86400


def test_outcome_and_feedback(open_ledger) -> None:
    ledger = open_ledger(clock=Clock(T0))
    fid = ledger.record(record(triage(C_ERROR), 1))
    ledger.set_outcome(fid, "fixed", "PR #12 merged")
    assert ledger.add_feedback(fid, +1, "alice") == 1
    assert ledger.add_feedback(fid, -1, "bob") == 0
    assert ledger.add_feedback(fid, +1, "bob") == 2      # one vote per user
    got = ledger.get(fid)
    assert (got.outcome, got.outcome_detail, got.feedback) == ("fixed", "PR #12 merged", 2)
    with pytest.raises(ValueError):
        ledger.add_feedback(fid, 5, "carol")
    with pytest.raises(KeyError):
        ledger.set_outcome("999999", "fixed")
    with pytest.raises(KeyError):
        ledger.add_feedback("999999", 1, "carol")
    assert ledger.raw_log(fid) is None  # none was given


def test_a_confirmation_counts_once_per_user(open_ledger) -> None:
    ledger = open_ledger(clock=Clock(T0))
    fid = ledger.record(record(triage(C_ERROR), 1))
    assert ledger.first_confirmation(fid, "Alice") is True
    assert open_ledger(clock=Clock(T0)).first_confirmation(fid, "alice") is False  # a later sweep, elsewhere
    assert ledger.first_confirmation(fid, "bob") is True


def test_history_similar_and_counts(open_ledger) -> None:
    clock = Clock(T0)
    ledger = open_ledger(clock=clock)
    first = ledger.record(record(triage(C_ERROR), 1))
    clock.now += 60
    second = ledger.record(record(triage(C_ERROR), 2))
    clock.now += WEEK
    other = ledger.record(record(triage(NPM), 3))
    probe = triage(C_ERROR_2)
    assert [f.id for f in ledger.history("org/app", triage(C_ERROR).fingerprint)] == [second, first]
    assert [f.id for f in ledger.history("org/app", triage(C_ERROR).fingerprint, limit=1)] == [second]
    assert ledger.history("org/else", triage(C_ERROR).fingerprint) == []
    similar = ledger.similar("org/app", probe, limit=5)
    assert [f.id for _, f in similar] == [second, first]
    assert all(score > 0.5 for score, _ in similar)
    assert other not in [f.id for _, f in ledger.similar("org/app", probe.tokens)]
    assert ledger.counts("org/app") == {iso_week(T0): {"compile": 2}, iso_week(T0 + WEEK): {"dependency": 1}}
    assert iso_week(T0) == "2024-W18"


def test_raw_log_is_capped_by_size(open_ledger) -> None:
    ledger = open_ledger(max_raw_bytes=4096, clock=Clock(T0))
    raw = bytes(range(256)) * 4000 + b"\nthe end: error: boom\n"
    fid = ledger.record(record(triage(raw), 1, raw_log=raw))
    kept = ledger.raw_log(fid)
    assert raw.endswith(kept) and kept.endswith(b"error: boom\n")
    assert ledger.get(fid).raw_truncated


def test_redis_stores_the_capped_log_compressed(redis) -> None:
    ledger = Ledger(redis, max_raw_bytes=4096, clock=Clock(T0))
    raw = bytes(range(256)) * 4000 + b"\nthe end: error: boom\n"
    fid = ledger.record(record(triage(raw), 1, raw_log=raw))
    assert len(redis.get(f"{PREFIX}raw:{fid}")) <= 4096


def test_old_entries_age_out(open_ledger) -> None:
    clock = Clock(T0)
    ledger = open_ledger(ttl_days=1, clock=clock)
    old = ledger.record(record(triage(C_ERROR), 1))
    clock.now += 2 * 86400
    new = ledger.record(record(triage(C_ERROR), 2))
    ids = [f.id for f in ledger.history("org/app", triage(C_ERROR).fingerprint)]
    assert ids == [new] and old not in ids


def test_an_aged_out_entry_is_gone_from_the_state_file(tmp_path) -> None:
    clock = Clock(T0)
    ledger = SqliteLedger(StateDB.under(tmp_path), ttl_days=1, clock=clock)
    old = ledger.record(record(triage(C_ERROR), 1))
    ledger.add_feedback(old, 1, "alice")
    clock.now += 2 * 86400
    assert ledger.get(old) is None and ledger.raw_log(old) is None
    with pytest.raises(KeyError):
        ledger.set_outcome(old, "fixed")


def test_compress_log_small_and_empty() -> None:
    blob, truncated = compress_log(b"hello", 100)
    assert zlib.decompress(blob) == b"hello" and not truncated
    assert compress_log(b"", 10)[1] is False


def test_a_failed_job_recorded_again_keeps_its_one_entry(open_ledger) -> None:
    clock = Clock(T0)
    ledger = open_ledger(clock=clock)
    first = ledger.record(record(triage(C_ERROR), 1))
    clock.now += 60  # the same job's debug run, run again after a crash
    assert open_ledger(clock=clock).record(record(triage(C_ERROR), 1)) == first
    assert [f.id for f in ledger.history("org/app", triage(C_ERROR).fingerprint)] == [first]
    assert ledger.counts("org/app") == {iso_week(T0): {"compile": 1}}
    assert ledger.record(record(triage(C_ERROR), 2)) != first  # another run is another failure


def test_an_expired_redis_entry_is_recorded_anew(redis) -> None:
    ledger = Ledger(redis, clock=Clock(T0))
    first = ledger.record(record(triage(C_ERROR), 1))
    redis.delete(PREFIX + f"failure:{first}")  # the entry expired: the job's failure is recorded anew
    assert ledger.record(record(triage(C_ERROR), 1)) not in (first, None)


def test_the_repositories_and_their_latest_failures(open_ledger) -> None:
    clock = Clock(T0)
    ledger = open_ledger(clock=clock)
    first = ledger.record(record(triage(C_ERROR), 1))
    clock.now += 60
    second = ledger.record(record(triage(NPM), 2))
    assert ledger.repos() == ["org/app"]
    assert [f.id for f in ledger.recent("org/app")] == [second, first]
    assert [f.id for f in ledger.recent("org/app", 1)] == [second]
