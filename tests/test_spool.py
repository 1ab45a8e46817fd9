"""The durable spool: append, claim, release, recover stale claims, survive bad records."""

import os
import time
from pathlib import Path

import pytest

from bot.receiver.spool import Spool, SpoolError


def test_records_come_back_oldest_first_and_are_removed_when_done(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert spool.depth() == 0 and list(spool.claim_all()) == []
    for n in range(3):
        spool.append({"n": n})
    assert spool.depth() == 3
    seen = []
    for claim, record in spool.claim_all():
        seen.append(record["n"])
        spool.done(claim)
    assert seen == [0, 1, 2] and spool.depth() == 0


def test_released_and_stale_claims_are_offered_again(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append({"n": 1})
    claim, _ = next(spool.claim_all())
    assert list(spool.claim_all()) == []  # claimed: not offered to a second drainer
    spool.release(claim)
    claim, _ = next(spool.claim_all())
    old = time.time() - 3600
    os.utime(claim, (old, old))  # a drainer that died an hour ago
    assert [r for _, r in spool.claim_all(stale_after=60)] == [{"n": 1}]


def test_unreadable_records_are_moved_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    (tmp_path / "00000000000000000001-bad.json").write_text("{not json")
    spool.append({"ok": True})
    assert [r for _, r in spool.claim_all()] == [{"ok": True}]
    assert (tmp_path / "00000000000000000001-bad.bad").exists()


def test_an_unwritable_spool_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SpoolError, match="TEABOT_DATA_DIR"):
        Spool(blocker / "spool").append({"n": 1})
