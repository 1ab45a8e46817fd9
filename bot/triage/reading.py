"""Streaming reader: one pass over a raw log, keeping only the lines worth a closer look.

Lines are the pieces of the log split on b"\\n" (a bare b"\\r" is not a line break), numbered
from 1, exactly as a byte-level `data.split(b"\\n")` numbers them. The whole log is never held
in memory: it is read in blocks, each block is lower-cased once (`bytes.lower`, C speed) and a
handful of byte literals are searched in it with `bytes.find`; only the lines near a hit, plus
the last lines of the log, are kept, and the hit lines are remembered. Everything else is
counted and forgotten: no Python code runs per line outside the hit windows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

# Lower-case byte literals that mark a line as a candidate: errors, failures, and the Travis-style
# step end that names neither ("The command ... exited with 1."; other CI runners say "error" or
# "fail" on that line). Each literal costs one `find` pass over the block (a lower-cased copy plus a
# few `find`s beat a case-insensitive regex tenfold), so the list is short and its words long. A cause
# that names none of them (an exception, a timeout, "Killed") is found when it is near such a line
# (the step's end, the runner's summary) or in the always-kept tail.
HINTS: tuple[bytes, ...] = (b"error", b"fail", b"exited with")
BLOCK = 1 << 18          # bytes read at a time (several passes over a block stay in the L2 cache)
LONG_LINE = 1 << 20      # a line longer than this is clipped while it streams
LINE_CAP = 4096          # bytes of one line kept (its head and its tail)
BEFORE = 40              # lines kept before a hit (the fill before a step's exit needs a budget's worth)
AFTER = 80               # lines kept after a hit
TAIL = 300               # last lines of the log, always kept
TAIL_BYTES = 2 << 20     # bytes of the tail kept at most
MAX_KEPT = 60_000        # kept lines at most (the first quarter and the newest are preferred)
ELLIPSIS = b" \xe2\x80\xa6 "


@dataclass(frozen=True)
class LogView:
    """The kept lines of one log (number -> raw bytes, clipped), its line count, and the kept
    lines that hold a hint (outside the tail, only those can anchor anything)."""

    n_lines: int
    lines: dict[int, bytes] = field(default_factory=dict)
    hits: tuple[int, ...] = ()


def clip(line: bytes, cap: int = LINE_CAP) -> bytes:
    """Keep the head and the tail of an overlong line (its last `\\r` screen is usually the tail)."""
    if len(line) <= cap:
        return line
    return line[: cap // 4] + ELLIPSIS + line[-(cap * 3 // 4):]


def has_hint(data: bytes) -> bool:
    """True when any hint literal occurs in `data` (in any letter case)."""
    low = data.lower()
    return any(h in low for h in HINTS)


def read_view(source: BinaryIO | bytes | None) -> LogView:
    """Scan a log stream (or bytes) once and return the lines kept for analysis."""
    scanner = _Scanner()
    for block, start, end in _blocks(source):
        scanner.feed(block, start, end)
    return scanner.finish()


@dataclass(frozen=True)
class Part:
    """The scan of one piece of a log (whole lines, numbered from 1 within it), for `merge`.

    `view` keeps the log's tail only for the last piece; `wanted` is how many lines the hit windows
    at its end still want from the next piece; `head` and `last` are its first AFTER and last BEFORE
    lines, the context its neighbours' windows reach into.
    """

    view: LogView
    wanted: int
    head: tuple[bytes, ...]
    last: tuple[bytes, ...]
    pruned: bool = False  # it kept more than MAX_KEPT lines and dropped some


def read_part(source: BinaryIO | bytes | None, *, last: bool) -> Part:
    """Scan one piece of a log, as `read_view` scans a whole one (`last`: the piece that ends the log)."""
    scanner = _Scanner()
    for block, start, end in _blocks(source):
        scanner.feed(block, start, end)
    tail = tuple(scanner._last_lines(BEFORE)) if scanner.base else ()
    return Part(scanner.finish(tail=last), scanner.pending, tuple(scanner.head), tail, scanner.pruned)


def merge(first: Part, second: Part) -> LogView | None:
    """The view of a log scanned as two consecutive pieces: what `read_view` keeps of the whole.

    Each piece keeps its own hit windows; the windows that cross the border take the other piece's
    first or last lines. None when the pieces cannot stand for the whole: the second holds fewer
    than TAIL lines (the log's tail would reach into the first), or kept lines overflowed MAX_KEPT.
    """
    if second.view.n_lines < TAIL or first.pruned or second.pruned or \
            len(first.view.lines) + len(second.view.lines) > MAX_KEPT:
        return None
    offset = first.view.n_lines
    kept = dict(first.view.lines)
    kept.update((offset + n, line) for n, line in second.view.lines.items())
    for n, line in enumerate(second.head[:first.wanted], offset + 1):  # windows running over the border
        kept.setdefault(n, line)
    for hit in second.view.hits:
        if hit > BEFORE:
            break
        reach = min(BEFORE - hit + 1, len(first.last))  # lines before the piece that the window starts at
        for n, line in enumerate(first.last[len(first.last) - reach:], offset - reach + 1):
            kept.setdefault(n, line)
    hits = (*first.view.hits, *(offset + n for n in second.view.hits))
    return LogView(n_lines=offset + second.view.n_lines, lines=dict(sorted(kept.items())), hits=hits)


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


def _blocks(source: BinaryIO | bytes | None) -> Iterator[tuple[bytes, int, int]]:
    """(block, start, end): `block[start:end]` is whole lines, each ending in b"\\n".

    A read chunk is passed on as it is, with bounds, rather than sliced (a copy per block);
    the line it starts in the middle of arrives first, joined to its beginning. Overlong lines
    arrive clipped.
    """
    carry = b""
    long_line: _LongLine | None = None
    for chunk in _chunks(source):
        first = chunk.find(b"\n") + 1
        if first == 0:
            carry, long_line = _grow_line(carry + chunk if long_line is None else chunk, long_line)
            continue
        if long_line is not None:
            long_line.add(chunk[:first - 1])
            head, long_line = long_line.line() + b"\n", None
        else:
            head = carry + chunk[:first]
        yield head, 0, len(head)
        cut = chunk.rfind(b"\n") + 1
        if cut > first:
            yield chunk, first, cut
        carry, long_line = _grow_line(chunk[cut:], None)
    if long_line is not None:
        yield (last := long_line.line() + b"\n"), 0, len(last)
    elif carry:
        yield (last := carry + b"\n"), 0, len(last)


def _grow_line(carry: bytes, long_line: _LongLine | None) -> tuple[bytes, _LongLine | None]:
    """Hand a partial line over to a `_LongLine` once it is too long to hold."""
    if long_line is not None:
        long_line.add(carry)
        return b"", long_line
    if len(carry) > LONG_LINE:
        long_line = _LongLine()
        long_line.add(carry)
        return b"", long_line
    return carry, None


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
    low = data.lower()
    found = [i for i in (low.find(h) for h in HINTS) if i >= 0]
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
        self.recent: deque[tuple[bytes, int, int, int]] = deque()   # the last blocks fed, unsliced
        self.recent_size = (0, 0)    # their lines and bytes
        self.hits: list[int] = []
        self.head: list[bytes] = []  # the first AFTER lines (a piece's context for the piece before it)
        self.pruned = False

    def feed(self, block: bytes, start: int, end: int) -> None:
        """Take the whole lines `block[start:end]`."""
        if len(self.head) < AFTER:
            self.head += [clip(line) for line in block[start:end].split(b"\n", AFTER)[:-1]][:AFTER - len(self.head)]
        if self.pending:
            self._keep_lines(block, start, end, self.base + 1, self.pending)
        number, last = self.base + 1, start
        for at in _hit_starts(block, start, end):
            number += block.count(b"\n", last, at)
            last = at
            self.hits.append(number)
            self._keep_window(block, start, end, at, number)
        count = number - self.base - 1 + block.count(b"\n", last, end)
        self._remember(block, start, end, count)
        self.base += count
        if len(self.kept) > MAX_KEPT:
            self._prune()

    def finish(self, *, tail: bool = True) -> LogView:
        if tail:
            lines = self._tail().split(b"\n")[:-1][-TAIL:]
            first = self.base - len(lines) + 1
            for offset, line in enumerate(lines):
                self.kept.setdefault(first + offset, clip(line))
        hits = tuple(n for n in self.hits if n in self.kept)
        return LogView(n_lines=self.base, lines=dict(sorted(self.kept.items())), hits=hits)

    def _keep_window(self, block: bytes, start: int, end: int, at: int, number: int) -> None:
        first = max(number - BEFORE, self.kept_upto + 1, 1)
        if first <= self.base:
            lines = self._last_lines(self.base - first + 1)
            for earlier, line in enumerate(lines, self.base - len(lines) + 1):
                self.kept.setdefault(earlier, line)
            first = self.base + 1
        first = min(first, number)
        pos = at
        for _ in range(number - first):
            pos = _line_before(block, start, pos)
        self._keep_lines(block, pos, end, first, number + AFTER - first + 1)

    def _keep_lines(self, block: bytes, pos: int, end: int, number: int, wanted: int) -> None:
        if number <= self.kept_upto:
            skip = self.kept_upto - number + 1
            for _ in range(skip):
                nl = block.find(b"\n", pos, end)
                if nl == -1:
                    return
                pos = nl + 1
            number, wanted = number + skip, wanted - skip
        stop, taken = pos, 0
        while taken < wanted and 0 < (nl := block.find(b"\n", stop, end) + 1):
            stop, taken = nl, taken + 1
        if taken:
            lines = block[pos:stop - 1].split(b"\n")
            if max(map(len, lines)) > LINE_CAP:
                lines = [clip(line) for line in lines]
            self.kept.update(zip(range(number, number + taken), lines))
        self.kept_upto = max(self.kept_upto, number + taken - 1)
        self.pending = max(0, wanted - taken)

    def _remember(self, block: bytes, start: int, end: int, count: int) -> None:
        """Hold on to the block (no copy) while the newer ones hold fewer than TAIL lines, or fewer
        than BEFORE lines and TAIL_BYTES bytes (with a hard cap of 4 * TAIL_BYTES)."""
        self.recent.append((block, start, end, count))
        lines, size = self.recent_size[0] + count, self.recent_size[1] + end - start
        while len(self.recent) > 1:
            _, oldest_start, oldest_end, oldest_count = self.recent[0]
            rest, rest_size = lines - oldest_count, size - (oldest_end - oldest_start)
            if rest < TAIL and (rest < BEFORE or rest_size < TAIL_BYTES) and rest_size < 4 * TAIL_BYTES:
                break
            self.recent.popleft()
            lines, size = rest, rest_size
        self.recent_size = (lines, size)

    def _last_lines(self, count: int) -> list[bytes]:
        """The last `count` lines fed (clipped), as far as the remembered blocks reach."""
        found: list[bytes] = []
        for block, start, end, lines in reversed(self.recent):
            pos = end
            for _ in range(min(count - len(found), lines)):
                pos = _line_before(block, start, pos)
            found[:0] = block[pos:end].split(b"\n")[:-1]
            if len(found) >= count:
                break
        return [clip(line) for line in found[-count:]]

    def _tail(self) -> bytes:
        """The last TAIL lines of the log (at most about TAIL_BYTES), from the blocks remembered."""
        tail = b"".join(block[max(start, end - TAIL_BYTES):end] for block, start, end, _ in self.recent)
        if len(tail) >= TAIL_BYTES:     # may start inside a line: drop that piece
            tail = tail[tail.find(b"\n", len(tail) - TAIL_BYTES) + 1:]
        return tail

    def _prune(self) -> None:
        self.pruned = True
        keys = list(self.kept)
        keep_first = MAX_KEPT // 4
        drop = len(keys) - MAX_KEPT // 2
        for key in keys[keep_first:keep_first + drop]:
            del self.kept[key]
        self.hits = [n for n in self.hits if n in self.kept]


def _line_before(block: bytes, start: int, pos: int) -> int:
    """The offset where the line before the one starting at `pos` starts (not before `start`)."""
    return max(block.rfind(b"\n", start, pos - 1) + 1, start)


def _hit_starts(block: bytes, start: int, end: int) -> list[int]:
    """Offsets of the starts of the lines of `block[start:end]` that hold a hint, in any case."""
    low = block.lower()
    starts: set[int] = set()
    for hint in HINTS:
        at = low.find(hint, start, end)
        while at != -1:
            line_start = max(low.rfind(b"\n", start, at) + 1, start)
            line_end = low.find(b"\n", at, end)
            starts.add(line_start)
            at = low.find(hint, line_end + 1, end)
    return sorted(starts)
