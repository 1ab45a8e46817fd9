"""The failure ledger in the state file (no Redis): the same records, queries and bounds as the Redis one."""

from __future__ import annotations

import pytest

from bot.debug.ledger import iso_week
from bot.debug.ledger_db import SqliteLedger
from bot.triage import triage
from bot.worker.state import StateDB
from tests.test_ledger import C_ERROR, C_ERROR_2, NPM, T0, WEEK, Clock, record


def ledger_in(tmp_path, **options) -> SqliteLedger:
    return SqliteLedger(StateDB.under(tmp_path), **options)


def test_record_and_read_back(tmp_path) -> None:
    ledger = ledger_in(tmp_path, clock=Clock(T0))
    result = triage(C_ERROR)
    fid = ledger.record(record(result, 1, raw_log=C_ERROR))
    got = ledger.get(fid)
    assert got is not None
    assert (got.repo, got.run_id, got.job_id, got.workflow, got.branch, got.commit, got.trigger) == \
        ("org/app", "1", "10", "ci.yml", "main", "9fceb02", "push")
    assert got.fingerprint == result.fingerprint and got.category == "compile"
    assert got.lines == result.lines and got.excerpt == result.excerpt and got.recorded_at == T0
    assert ledger.raw_log(fid) == C_ERROR
    assert got.raw_bytes == len(C_ERROR) and not got.raw_truncated
    assert ledger.get("999") is None and ledger.get("not-an-id") is None
    assert ledger_in(tmp_path, clock=Clock(T0)).get(fid) == got  # another process reads the same file


def test_outcome_and_feedback(tmp_path) -> None:
    ledger = ledger_in(tmp_path, clock=Clock(T0))
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


def test_a_confirmation_counts_once_per_user(tmp_path) -> None:
    ledger = ledger_in(tmp_path, clock=Clock(T0))
    fid = ledger.record(record(triage(C_ERROR), 1))
    assert ledger.first_confirmation(fid, "Alice") is True
    assert ledger_in(tmp_path, clock=Clock(T0)).first_confirmation(fid, "alice") is False  # a later sweep, elsewhere
    assert ledger.first_confirmation(fid, "bob") is True


def test_history_similar_and_counts(tmp_path) -> None:
    clock = Clock(T0)
    ledger = ledger_in(tmp_path, clock=clock)
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


def test_raw_log_is_capped_by_size(tmp_path) -> None:
    ledger = ledger_in(tmp_path, max_raw_bytes=4096, clock=Clock(T0))
    raw = bytes(range(256)) * 4000 + b"\nthe end: error: boom\n"
    fid = ledger.record(record(triage(raw), 1, raw_log=raw))
    kept = ledger.raw_log(fid)
    assert raw.endswith(kept) and kept.endswith(b"error: boom\n")
    assert ledger.get(fid).raw_truncated


def test_old_entries_age_out(tmp_path) -> None:
    clock = Clock(T0)
    ledger = ledger_in(tmp_path, ttl_days=1, clock=clock)
    old = ledger.record(record(triage(C_ERROR), 1))
    ledger.add_feedback(old, 1, "alice")
    clock.now += 2 * 86400
    assert ledger.get(old) is None and ledger.raw_log(old) is None
    new = ledger.record(record(triage(C_ERROR), 2))
    ids = [f.id for f in ledger.history("org/app", triage(C_ERROR).fingerprint)]
    assert ids == [new] and old not in ids
    with pytest.raises(KeyError):
        ledger.set_outcome(old, "fixed")


def test_a_failed_job_recorded_again_keeps_its_one_entry(tmp_path) -> None:
    clock = Clock(T0)
    ledger = ledger_in(tmp_path, clock=clock)
    first = ledger.record(record(triage(C_ERROR), 1))
    clock.now += 60  # the same job's debug run, run again after a crash
    assert ledger_in(tmp_path, clock=clock).record(record(triage(C_ERROR), 1)) == first
    assert [f.id for f in ledger.history("org/app", triage(C_ERROR).fingerprint)] == [first]
    assert ledger.counts("org/app") == {iso_week(T0): {"compile": 1}}
    assert ledger.record(record(triage(C_ERROR), 2)) != first  # another run is another failure


def test_the_repositories_and_their_latest_failures(tmp_path) -> None:
    clock = Clock(T0)
    ledger = ledger_in(tmp_path, clock=clock)
    first = ledger.record(record(triage(C_ERROR), 1))
    clock.now += 60
    second = ledger.record(record(triage(NPM), 2))
    assert ledger.repos() == ["org/app"]
    assert [f.id for f in ledger.recent("org/app")] == [second, first]
    assert [f.id for f in ledger.recent("org/app", 1)] == [second]
