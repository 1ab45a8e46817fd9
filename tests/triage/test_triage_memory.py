"""Learned shapes: masking, the two store backends behind one interface, and their use in triage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis as redis_lib

from bot.triage import triage
from bot.triage import memory
from bot.debug.learned import DirectoryStore, RedisStore, SqliteStore
from bot.triage.memory import ShapeStore, learn_lines, parse_lines
from bot.triage.shapes import BODY, HEAD, KIN, coarse, learned_from, shape

SHAPES = [
    ("src/a.c:12:3: error: 'foo' undeclared", "<path>:<n>:<n>: error: <q> undeclared"),
    ("FAILED tests/test_a.py::test_x - assert 1 == 2", "FAILED <path>::test_x - assert <n> == <n>"),
    ("commit 1a2b3c4d5e6f7a8b broke the build", "commit <hex> broke the build"),
    ("fetch https://example.org/x/y.tgz failed", "fetch <url> failed"),
    ('Error: Cannot find module "left-pad"', "Error: Cannot find module <q>"),
    ("C:\\work\\app\\main.cs(3,7): error CS1002", "<path>(<n>): error CS<n>"),   # 3,7 reads as one number
    ("----", ""),                      # nothing recognisable is left
    ("404", ""),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES)
def test_shapes_mask_the_volatile_parts(text: str, expected: str) -> None:
    assert shape(text) == expected


def test_shapes_are_redacted() -> None:
    assert "hunter2" not in shape("login failed: password=hunter2 rejected")


def test_learned_roles() -> None:
    learned = learned_from(["Error: Cannot find module <q>"], ["at Object.<anonymous> (<path>:<n>:<n>)"])
    assert learned.match('Error: Cannot find module "other"') == HEAD
    assert learned.match("at Object.<anonymous> (lib/b.js:4:2)") == BODY
    assert coarse("Error: Cannot find module <q>") == "Error: Cannot find module"
    assert learned.match("Error: Cannot find module within the workspace") == KIN
    assert learned.match("all good") == 0
    assert not learned_from([])


def test_parse_lines() -> None:
    assert parse_lines("12,13,14") == [12, 13, 14]
    assert parse_lines("12-14, 20") == [12, 13, 14, 20]
    assert parse_lines("") == []
    for bad in ("0", "a", "5-3", "1-"):
        with pytest.raises(ValueError):
            parse_lines(bad)


LOG = b"setup\nwidget: frobnicate step exploded\n  while frobnicating gear 7\n\nall cleaned up\n"


def _contract(store: ShapeStore) -> None:
    """What every backend must do: record, bound, load, forget."""
    assert not store.load()
    assert learn_lines(store, LOG, [2, 3], now=1000.0) == 2
    assert learn_lines(store, LOG, [2, 3], now=2000.0) == 0          # the same shapes again
    entries = {e.shape: e for e in store.entries(now=2000.0)}
    assert entries["widget: frobnicate step exploded"].count == 2
    assert entries["widget: frobnicate step exploded"].head
    assert not entries["while frobnicating gear <n>"].head
    learned = store.load(now=2000.0)
    assert learned.match("widget: frobnicate step exploded") == HEAD
    assert store.load(now=2000.0 + memory.MAX_AGE + 1) == learned_from([])       # too old: gone
    store.forget()
    assert store.entries(now=2000.0) == []


def _bounded(store: ShapeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "MAX_SHAPES", 5)
    for i in range(8):
        store.record([(f"failure kind {chr(97 + i)} happened", True)], now=100.0 + i)
    kept = [e.shape for e in store.entries(now=200.0)]
    assert len(kept) == 5
    assert "failure kind h happened" in kept and "failure kind a happened" not in kept    # newest kept


def test_directory_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DirectoryStore(tmp_path / "state")
    _contract(store)
    _bounded(store, monkeypatch)
    assert json.loads(store.path.read_text())["version"] == 1
    assert [p.name for p in store.path.parent.iterdir()] == ["shapes.json"]      # no temp file left behind


def test_directory_store_per_repository_and_damaged_files(tmp_path: Path) -> None:
    a, b = DirectoryStore(tmp_path, "acme/widget"), DirectoryStore(tmp_path, "acme/gadget")
    a.record([("widget broke in a new way", True)])
    assert a.load() and not b.load()
    a.path.write_text("{not json")
    assert a.entries() == []                            # a damaged file reads as nothing learned


def test_a_confirmation_is_capped(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    lines = "\n".join(f"failure number {i} of kind {'x' * (i % 90 + 1)}" for i in range(300)).encode()
    learn_lines(store, lines, range(1, 301))
    assert len(store.entries()) == memory.MAX_PER_CONFIRMATION


def test_redis_store(redis: redis_lib.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RedisStore(redis, "acme/widget")
    _contract(store)
    _bounded(store, monkeypatch)
    other = RedisStore(redis, "acme/gadget")
    assert not other.load()
    assert redis.ttl(store.seen_key) > 0                # a repository that stops failing fades out
    store.forget()
    assert not redis.exists(store.seen_key, store.count_key, store.head_key)


def test_sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.worker.state import StateDB

    store = SqliteStore(StateDB.under(tmp_path), "acme/widget")
    _contract(store)
    _bounded(store, monkeypatch)
    assert not SqliteStore(StateDB.under(tmp_path), "acme/gadget").load()
    assert len(SqliteStore(StateDB.under(tmp_path), "acme/widget").entries(now=200.0)) == 5  # another process sees them
    store.forget()
    assert SqliteStore(StateDB.under(tmp_path), "acme/widget").entries(now=200.0) == []


def test_learned_shapes_rank_first_and_are_explained() -> None:
    filler = [f"stage {i} complete" for i in range(40)]
    first = "\n".join(["gear train jammed at tooth 17", *filler, "summary: 1 problem", "Process completed with exit code 1."])
    later = "\n".join(["gear train jammed at tooth 3", *filler, "summary: 1 problem", "Process completed with exit code 1."])
    assert 1 not in triage(later.encode(), max_lines=10).lines                    # no rule knows the line
    learned = learned_from([shape("gear train jammed at tooth 17")])
    result = triage(later.encode(), max_lines=10, learned=learned)
    assert 1 in result.lines and result.learned == (1,)
    assert "1 * gear train jammed" in result.excerpt and "confirmed on an earlier failure" in result.excerpt
    assert result.to_json()["learned"] == [1]
    assert first != later


@pytest.mark.parametrize(("comment", "lines", "forget"), [
    ("/triage lines 120-123", (120, 121, 122, 123), False),
    ("thanks!\n/triage lines 12,13, 40-41\n", (12, 13, 40, 41), False),
    ("/TRIAGE line 7", (7,), False),
    ("/triage forget", (), True),
    ("> 120 | Error: boom\n> 121 * at widget.js:3\nthese two", (120, 121), False),
    ("/triage lines 0", (), False),
    ("looks right 👍", (), False),
    ("", (), False),
])
def test_corrections_from_comments(comment: str, lines: tuple[int, ...], forget: bool) -> None:
    from bot.triage.feedback import parse_correction

    found = parse_correction(comment)
    assert (found.lines, found.forget) == (lines, forget)
    assert bool(found) == bool(lines or forget)
