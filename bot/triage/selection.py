"""Group scored lines into blocks (an error and its trace or detail) and choose the excerpt."""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

from bot.triage.rules import WRAPPERS, section_end
from bot.triage.scoring import Line, is_filler, step_end

ANCHOR = 5.5          # a line scoring this much can start a block
JOIN = 3.0            # a line scoring this much extends a block it follows
MAX_BLOCK = 2000      # lines in one block at most
MAX_GAP = 3           # blank lines a block may span
PARAGRAPH = 8        # lines of output a wrapper line may pull in before it
MERGE_GAP = 3        # blocks this close (in line numbers) become one
SECTION_BONUS = 1.0   # a test framework's own failure report outranks loose error lines
LEAD_IN = 12          # output lines of a command shown whole before its error
NEAR_TIE = 0.75       # blocks scoring at least this share of the best one are also shown
INTERLEAVED = 2       # progress lines a block may span when it goes on after them

_CONTINUATION = re.compile(
    r"^\s+\S|^\s*(?:at |Caused by|\.\.\. \d+ more|File \"|\^|~~~|\d+ \||> \d+ \||-->|= note|= help|note:"
    r"|stack backtrace:|goroutine \d+|\[\d+\]|\+\+\+|---|@@|[-+] |[\w./-]+\.\w+:\d+)"
)


_LEVEL = re.compile(r"^\[(?:info|error|warn|INFO|ERROR|WARNING|WARN|debug|DEBUG)\] ?")
_ECHO = re.compile(r"^(?:\[[\w .-]+\] )?\$ \S|^\++ ?\S|^##\[group\]Run |^::group::Run ")
_CARET = re.compile(r"^\s*[\^~]+\s*$")


@dataclass(frozen=True)
class Block:
    """A run of kept lines that belong together, with its score."""

    lines: tuple[Line, ...]
    score: float

    @property
    def first(self) -> int:
        return self.lines[0].number

    @property
    def last(self) -> int:
        return self.lines[-1].number


def blocks(lines: list[Line]) -> list[Block]:
    """Blocks grown forward from each anchor line over detail, traces and further errors."""
    found: list[Block] = []
    i = 0
    while i < len(lines):
        closer = section_end(lines[i].text)
        if closer is not None and (end := _section(lines, i, closer)) > i + 1:
            found.append(_block(lines[i + 1:end], floor=ANCHOR, bonus=SECTION_BONUS))
            i = end
        elif lines[i].score >= ANCHOR:
            end = _grow(lines, i)
            start = _grow_back(lines, i, found[-1].last if found else 0)
            if found and lines[start].number - found[-1].last <= MERGE_GAP:
                start = _index(lines, found.pop().first)
            found.append(_block(lines[start:end]))
            i = end
        else:
            i += 1
    return found


def _index(lines: list[Line], number: int) -> int:
    """Position of the first line numbered `number` or more."""
    return bisect.bisect_left(lines, number, key=lambda line: line.number)


def _grow(lines: list[Line], start: int) -> int:
    """Index just past the block that starts at `start`."""
    end, gap, i = start + 1, 0, start + 1
    indent = _indent(lines[start].text)
    marker = _marker(lines[start].text)
    while i < len(lines) and i - start < MAX_BLOCK:
        line, prev = lines[i], lines[i - 1]
        if line.number != prev.number + 1:
            break
        if line.score < JOIN and marker and _marker(line.text) == marker and _indent(line.text) == indent:
            break                                  # a passing sibling: "[info] - test b" after "[info] - test a"
        if not line.text.strip():
            gap += 1
            if gap > MAX_GAP:
                break
        elif _joins(line, prev, indent) or _framed(lines, i):
            gap, end = 0, i + 1
        elif _interleaved(lines, i, indent):
            gap = 0                                # a progress line printed into the middle of a report
        else:
            break
        i += 1
    return end


def _joins(line: Line, prev: Line, indent: int) -> bool:
    """True when `line` extends the block that `prev` ends."""
    return line.score >= JOIN or (line.base >= 0 and (line.joins or _continues(line.text, indent)
                                                      or _opens_detail(prev.text)))


def _interleaved(lines: list[Line], i: int, indent: int) -> bool:
    """True for up to INTERLEAVED noise lines followed by a line that extends the block again."""
    for k in range(i, min(i + INTERLEAVED + 1, len(lines))):
        if k > i and lines[k].number != lines[k - 1].number + 1:
            return False
        if lines[k].base >= 0 and lines[k].text.strip():
            return k > i and _joins(lines[k], lines[k - 1], indent)
    return False


def _grow_back(lines: list[Line], start: int, floor: int) -> int:
    """Index of the first line of the block anchored at `start`: earlier strong lines, or the
    output a wrapper line ("make: ***", "error Command failed", "##[error]") closes."""
    wrapper = any(rule.pattern.search(lines[start].text) for rule in WRAPPERS)
    limit = PARAGRAPH if wrapper else 0
    i, taken, blanks = start, 0, 0
    while i > 0 and lines[i - 1].number == lines[i].number - 1 and lines[i - 1].number > floor:
        prev = lines[i - 1]
        if not prev.text.strip():
            blanks += 1
            if blanks > MAX_GAP or not (wrapper or (i > 1 and lines[i - 2].score >= JOIN)):
                break
        elif prev.score >= JOIN or (taken < limit and prev.base >= 0 and not is_filler(prev.text)):
            taken, blanks = taken + 1, 0
        else:
            break
        i -= 1
    while i < start and not lines[i].text.strip():
        i += 1
    return i


def _opens_detail(text: str) -> bool:
    """A header that announces detail lines ("Failures:", "Diff:", "Output of foo:"), unless it is a
    step banner or a level-only line."""
    text = _LEVEL.sub("", text, count=1).rstrip()
    return text.endswith(":") and len(text) > 1 and not _ECHO.match(text)


def _framed(lines: list[Line], i: int) -> bool:
    """True for a source line that a caret line (`^~~~`) within the next three lines points into."""
    for line in lines[i + 1:i + 4]:
        if _CARET.match(line.text):
            return True
    return False


def _continues(text: str, indent: int) -> bool:
    text = _LEVEL.sub("", text, count=1)
    return bool(_CONTINUATION.search(text)) or _indent(text) > indent or text.endswith(":")


def _marker(text: str) -> str:
    """The first word of a line (after any log level), e.g. "-" or "---" or "test"."""
    words = _LEVEL.sub("", text, count=1).split(None, 1)
    return words[0] if words else ""


def _indent(text: str) -> int:
    text = _LEVEL.sub("", text, count=1)
    return len(text) - len(text.lstrip())


def _section(lines: list[Line], start: int, closer: re.Pattern[str]) -> int:
    """Index of the line that closes a report section (or of the first gap in the kept lines)."""
    i = start + 1
    while i < len(lines) and i - start < MAX_BLOCK and lines[i].number == lines[i - 1].number + 1:
        if closer.search(lines[i].text):
            break
        i += 1
    return i


def _block(lines: list[Line], floor: float = 0.0, bonus: float = 0.0) -> Block:
    strong = [ln.score for ln in lines if ln.score >= ANCHOR] or [floor]
    return Block(tuple(lines), max(strong) + 0.5 * math.log1p(len(strong) - 1) + bonus)


def choose(found: list[Block], budget: int) -> list[Block]:
    """The best block, then near ties in log order while the budget allows."""
    if not found:
        return []
    best = max(found, key=lambda b: (b.score, -b.first))
    chosen = [best]
    used = len(best.lines)
    for block in sorted(found, key=lambda b: (-b.score, b.first)):
        if block is best or block.score < best.score * NEAR_TIE:
            continue
        if used + len(block.lines) > budget:
            continue
        chosen.append(block)
        used += len(block.lines)
    return sorted(chosen, key=lambda b: b.first)


def with_lead_in(lines: list[Line], block: Block) -> Block:
    """The block plus what leads into it: the whole output of a short command (back to its echoed
    command line), or else the one line just before it (a test name, a file list) when it says something."""
    i = _index(lines, block.first)
    j = i - 1
    while j >= 0 and i - j <= LEAD_IN and lines[j].number == lines[j + 1].number - 1:
        if step_end(lines[j].text) is not None or lines[j].base < 0 and not _ECHO.match(lines[j].text):
            break
        if _ECHO.match(lines[j].text):
            return Block((*lines[j:i], *block.lines), block.score)
        j -= 1
    if i == 0 or lines[i - 1].number != block.first - 1:
        return block
    prev = lines[i - 1]
    if prev.base < 0 or not prev.text.strip() or is_filler(prev.text) or step_end(prev.text) is not None:
        return block
    return Block((prev, *block.lines), block.score)


def fallback(lines: list[Line], count: int = 15) -> list[Line]:
    """The last meaningful lines of the log, when no line states a failure."""
    meaningful = [ln for ln in lines if not is_filler(ln.text)]
    return meaningful[-count:]
