"""Streaming reader: one pass over a raw log, keeping only the lines worth a closer look.

Lines are the pieces of the log split on b"\\n" (a bare b"\\r" is not a line break), numbered
from 1, exactly as a byte-level `data.split(b"\\n")` numbers them. The whole log is never held
in memory: it is read in blocks, a handful of byte literals are searched in each block with
`bytes.find` (C speed), and only the lines near a hit, plus the last lines of the log, are kept.
Everything else is counted and forgotten.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

# Byte literals that mark a line as a candidate. Case variants are spelt out because one
# `find` per literal is an order of magnitude faster than a case-insensitive regex.
HINTS: tuple[bytes, ...] = (
    b"rror", b"RROR", b"ail", b"AIL", b"xception", b"xit", b"atal", b"anic",
    b"\xe2\x9d\x8c",
)
BLOCK = 1 << 20          # bytes read at a time
LONG_LINE = 1 << 20      # a line longer than this is clipped while it streams
LINE_CAP = 4096          # bytes of one line kept (its head and its tail)
BEFORE = 30              # lines kept before a hit
AFTER = 80               # lines kept after a hit
TAIL = 300               # last lines of the log, always kept
TAIL_BYTES = 2 << 20     # bytes of the tail kept at most
MAX_KEPT = 60_000        # kept lines at most (the first quarter and the newest are preferred)
ELLIPSIS = b" \xe2\x80\xa6 "


@dataclass(frozen=True)
class LogView:
    """The kept lines of one log (number -> raw bytes, clipped) and its total line count."""

    n_lines: int
    lines: dict[int, bytes] = field(default_factory=dict)


def clip(line: bytes, cap: int = LINE_CAP) -> bytes:
    """Keep the head and the tail of an overlong line (its last `\\r` screen is usually the tail)."""
    if len(line) <= cap:
        return line
    return line[: cap // 4] + ELLIPSIS + line[-(cap * 3 // 4):]


def has_hint(data: bytes) -> bool:
    """True when any hint literal occurs in `data`."""
    return any(h in data for h in HINTS)


def read_view(source: BinaryIO | bytes | None) -> LogView:
    """Scan a log stream (or bytes) once and return the lines kept for analysis."""
    scanner = _Scanner()
    for block in _blocks(source):
        scanner.feed(block)
    return scanner.finish()


def _chunks(source: BinaryIO | bytes | None) -> Iterator[bytes]:
    if source is None:
        return
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        for start in range(0, len(data), BLOCK):
            yield data[start:start + BLOCK]
        return
    while True:
        chunk = source.read(BLOCK)
        if not chunk:
            return
        yield chunk if isinstance(chunk, bytes) else str(chunk).encode("utf-8", "replace")


def _blocks(source: BinaryIO | bytes | None) -> Iterator[bytes]:
    """Blocks of whole lines, each ending in b"\\n"; overlong lines arrive clipped."""
    carry = b""
    long_line: _LongLine | None = None
    for chunk in _chunks(source):
        buf = carry + chunk
        cut = buf.rfind(b"\n") + 1
        if long_line is not None:
            if cut == 0:
                long_line.add(buf)
                carry = b""
                continue
            first = buf.find(b"\n") + 1
            long_line.add(buf[:first - 1])
            yield long_line.line() + b"\n"
            long_line, buf, cut = None, buf[first:], cut - first
        if cut:
            yield buf[:cut]
        carry = buf[cut:]
        if len(carry) > LONG_LINE:
            long_line = _LongLine()
            long_line.add(carry)
            carry = b""
    if long_line is not None:
        long_line.add(carry)
        yield long_line.line() + b"\n"
    elif carry:
        yield carry + b"\n"


class _LongLine:
    """A line too long to hold: keep its head, the bytes around its first hint, and its tail."""

    def __init__(self) -> None:
        self.head = b""
        self.hint = b""
        self.tail = b""

    def add(self, data: bytes) -> None:
        if len(self.head) < LINE_CAP // 4:
            take = LINE_CAP // 4 - len(self.head)
            self.head, data = self.head + data[:take], data[take:]
        if not self.hint:
            self.hint = _around_hint(self.tail + data)
        self.tail = (self.tail + data)[-(LINE_CAP // 2):]

    def line(self) -> bytes:
        parts = [self.head]
        if self.hint and self.hint not in self.tail:
            parts.append(self.hint)
        parts.append(self.tail)
        return ELLIPSIS.join(p for p in parts if p)


def _around_hint(data: bytes) -> bytes:
    found = [i for i in (data.find(h) for h in HINTS) if i >= 0]
    if not found:
        return b""
    at = min(found)
    return data[max(0, at - LINE_CAP // 8): at + LINE_CAP // 8]


class _Scanner:
    """Keeps hit windows and the tail while counting lines, block by block."""

    def __init__(self) -> None:
        self.kept: dict[int, bytes] = {}
        self.base = 0            # lines in the blocks already fed
        self.kept_upto = 0       # highest line number kept so far
        self.pending = 0         # lines still to keep at the start of the next block
        self.prev: list[bytes] = []   # last BEFORE lines of the previous block
        self.tail = b""

    def feed(self, block: bytes) -> None:
        count = block.count(b"\n")
        if self.pending:
            self._keep_lines(block, 0, self.base + 1, self.pending)
        number, last = self.base + 1, 0
        for start in self._hit_starts(block):
            number += block.count(b"\n", last, start)
            last = start
            self._keep_window(block, start, number)
        self._remember(block, count)
        self.base += count
        if len(self.kept) > MAX_KEPT:
            self._prune()

    def finish(self) -> LogView:
        lines = self.tail.split(b"\n")[:-1][-TAIL:]
        first = self.base - len(lines) + 1
        for offset, line in enumerate(lines):
            self.kept.setdefault(first + offset, clip(line))
        return LogView(n_lines=self.base, lines=dict(sorted(self.kept.items())))

    def _hit_starts(self, block: bytes) -> list[int]:
        starts: set[int] = set()
        for hint in HINTS:
            at = block.find(hint)
            while at != -1:
                start = block.rfind(b"\n", 0, at) + 1
                end = block.find(b"\n", at)
                starts.add(start)
                at = block.find(hint, end + 1)
        return sorted(starts)

    def _keep_window(self, block: bytes, start: int, number: int) -> None:
        first = max(number - BEFORE, self.kept_upto + 1, 1)
        if first <= self.base:
            prev_first = self.base - len(self.prev) + 1
            for offset, line in enumerate(self.prev):
                if prev_first + offset >= first:
                    self.kept.setdefault(prev_first + offset, line)
            first = self.base + 1
        first = min(first, number)
        pos = start
        for _ in range(number - first):
            pos = block.rfind(b"\n", 0, pos - 1) + 1
        self._keep_lines(block, pos, first, number + AFTER - first + 1)

    def _keep_lines(self, block: bytes, pos: int, number: int, wanted: int) -> None:
        if number <= self.kept_upto:
            skip = self.kept_upto - number + 1
            for _ in range(skip):
                nl = block.find(b"\n", pos)
                if nl == -1:
                    return
                pos = nl + 1
            number, wanted = number + skip, wanted - skip
        while wanted > 0 and pos < len(block):
            nl = block.find(b"\n", pos)
            self.kept[number] = clip(block[pos:nl])
            pos, number, wanted = nl + 1, number + 1, wanted - 1
        self.kept_upto = max(self.kept_upto, number - 1)
        self.pending = max(0, wanted)

    def _remember(self, block: bytes, count: int) -> None:
        pos = len(block)
        for _ in range(min(BEFORE, count)):
            pos = block.rfind(b"\n", 0, pos - 1) + 1
        recent = [clip(x) for x in block[pos:].split(b"\n")[:-1]]
        self.prev = recent if count >= BEFORE else (self.prev + recent)[-BEFORE:]
        if count >= TAIL:
            pos = len(block)
            for _ in range(TAIL):
                pos = block.rfind(b"\n", 0, pos - 1) + 1
            self.tail = block[pos:]
        else:
            self.tail = self.tail + block
        if len(self.tail) > TAIL_BYTES:
            cut = self.tail.find(b"\n", len(self.tail) - TAIL_BYTES) + 1
            self.tail = self.tail[cut:]

    def _prune(self) -> None:
        keys = list(self.kept)
        keep_first = MAX_KEPT // 4
        drop = len(keys) - MAX_KEPT // 2
        for key in keys[keep_first:keep_first + drop]:
            del self.kept[key]
