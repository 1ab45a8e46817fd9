"""What a repository's users confirmed, kept as line shapes: the store interface and its pure rules.  PURE.

The two backends (a directory, Redis) are I/O and live in `bot.debug.learned`.

A confirmation (a 👍 on a triage, `/triage lines 120-140`, `teabot triage learn`) records the shapes of
the cause lines; `load()` gives them back as `Learned` for `triage(..., learned=...)`. Both backends keep
the same bounds: at most MAX_SHAPES shapes per repository (the least recently confirmed go first) and
none older than MAX_AGE seconds; `forget()` drops everything a repository taught.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from bot.triage.shapes import Learned, learned_from, shape
from bot.triage.text import clean

MAX_SHAPES = 400                 # shapes kept per repository
MAX_AGE = 180 * 24 * 3600        # seconds a shape is kept after it was last confirmed
MAX_PER_CONFIRMATION = 64        # distinct shapes one confirmation may add (a whole test report is long)
REDIS_PREFIX = "teabot:triage:shapes:"
_SPEC = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")
MAX_SPEC_LINES = 100_000
BLANK_RUN = 2                    # confirmed lines this few (blank) lines apart are one run
MAX_HEADS = 3                    # runs of one confirmation whose first line may open a cause later (a long
                                 # report's later runs are more of the same, often not its cause)


@dataclass(frozen=True)
class ShapeEntry:
    """One learned shape: how often it was confirmed, when last, and whether it opened a cause."""

    shape: str
    count: int
    seen: float
    head: bool = False


Confirmed = tuple[str, bool]     # a shape and whether its line opened a run of cause lines


class ShapeStore(Protocol):
    """Per-repository memory of confirmed cause-line shapes."""

    def load(self, now: float | None = None) -> Learned: ...
    def record(self, shapes: Iterable[Confirmed], now: float | None = None) -> int: ...
    def entries(self, now: float | None = None) -> list[ShapeEntry]: ...
    def forget(self) -> None: ...


def bounded(entries: Iterable[ShapeEntry], now: float) -> list[ShapeEntry]:
    """Entries within the age limit, the MAX_SHAPES most recently confirmed, newest first."""
    fresh = [e for e in entries if now - e.seen <= MAX_AGE]
    return sorted(fresh, key=lambda e: (-e.seen, -e.count, e.shape))[:MAX_SHAPES]


def merged(entries: Iterable[ShapeEntry], shapes: Iterable[Confirmed], now: float) -> list[ShapeEntry]:
    """Entries after confirming `shapes` at `now` (pure; the directory backend's update)."""
    table = {e.shape: e for e in entries}
    for s, head in distinct(shapes):
        old = table.get(s)
        table[s] = ShapeEntry(s, (old.count if old else 0) + 1, now, head or bool(old and old.head))
    return bounded(table.values(), now)


def distinct(shapes: Iterable[Confirmed]) -> list[Confirmed]:
    """The first MAX_PER_CONFIRMATION distinct shapes (a shape is a head if any of its lines was)."""
    found: dict[str, bool] = {}
    for s, head in shapes:
        if s and (s in found or len(found) < MAX_PER_CONFIRMATION):
            found[s] = found.get(s, False) or head
    return list(found.items())


def to_learned(entries: Iterable[ShapeEntry]) -> Learned:
    """The `Learned` that triage uses, from stored entries."""
    items = list(entries)
    return learned_from((e.shape for e in items if e.head), (e.shape for e in items if not e.head))


def parse_lines(spec: str) -> list[int]:
    """'12,13,14' or '12-14,20' -> sorted distinct line numbers (ValueError on anything else)."""
    found: set[int] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        match = _SPEC.match(part)
        if match is None:
            raise ValueError(f"{part!r} is not a line number or a range like 12-14")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if low < 1 or high < low or high - low > MAX_SPEC_LINES:
            raise ValueError(f"{part!r} is not a range of line numbers from 1")
        found.update(range(low, high + 1))
    return sorted(found)


def line_texts(source: BinaryIO | bytes, numbers: Sequence[int]) -> list[tuple[int, str]]:
    """(number, cleaned text) of the given 1-based lines of a log (split on b"\\n"), read as a stream."""
    wanted = set(numbers)
    if not wanted:
        return []
    last = max(wanted)
    out = []
    # a binary stream iterates over b"\n"-ended pieces (not at b"\r"), as the line numbers count
    pieces = source.split(b"\n") if isinstance(source, bytes) else (
        raw[:-1] if raw.endswith(b"\n") else raw for raw in source)
    for number, raw in enumerate(pieces, start=1):
        if number in wanted:
            out.append((number, clean(raw)))
        if number >= last:
            break
    return out


def confirmed_shapes(numbered: Iterable[tuple[int, str]]) -> list[Confirmed]:
    """Shapes of confirmed cause lines; a line opens a run unless the line before it (blank lines
    aside) was confirmed too, and only the first MAX_HEADS runs' openers count as heads."""
    out: list[Confirmed] = []
    prev, runs = None, 0
    for number, text in numbered:
        if not text.strip():
            continue
        opens = prev is None or number - prev > BLANK_RUN + 1
        runs += opens
        out.append((shape(text), opens and runs <= MAX_HEADS))
        prev = number
    return out


def learn_lines(store: ShapeStore, source: BinaryIO | bytes, numbers: Sequence[int],
                now: float | None = None) -> int:
    """Record the shapes of the given lines of a log as a confirmed cause; return the new shapes."""
    return store.record(confirmed_shapes(line_texts(source, numbers)), now)
