"""Spend the excerpt budget: the failing step's exit line, bridges between close pieces, and the lines
leading up to the exit when the rules found little.

The cause of a failure is most often printed just before the step that failed exits, in a shape no
rule knows; so whatever budget the scored blocks leave is spent walking back from that exit.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from bot.triage.scoring import Line, StepEnd, is_filler, step_end

BRIDGE = 3            # pieces this few lines apart are shown as one (the lines between come along)
RESERVE = 4           # the budget share (1/RESERVE) kept for the lines before the exit when the chosen
                      # blocks end far from it: a long block elsewhere must not crowd out the step's last words
FAR = 10              # lines between the best block and the exit that make it "far"


def exit_line(lines: list[Line], ends: list[StepEnd], after: int | None) -> Line | None:
    """The line that ends the failing step: the first failed step end after line `after` (the best
    block), else the first failed step end of the log; None when no step end says it failed."""
    failed = [e.number for e in ends if e.failed]
    if not failed:
        return None
    later = [n for n in failed if after is not None and n > after]
    number = later[0] if later else failed[0]
    i = _index(lines, number)
    return lines[i] if i < len(lines) and lines[i].number == number else None


def bridge(lines: list[Line], chosen: dict[int, Line], budget: int) -> None:
    """Add the lines between chosen pieces at most BRIDGE lines apart, while the budget allows."""
    numbers = sorted(chosen)
    for prev, nxt in zip(numbers, numbers[1:], strict=False):
        gap = range(prev + 1, nxt)
        if 0 < len(gap) <= BRIDGE:
            between = [ln for ln in _span(lines, prev + 1, nxt - 1) if ln.text.strip()]
            if len(chosen) + len(between) <= budget:
                chosen.update((ln.number, ln) for ln in between)


def fill(lines: list[Line], chosen: dict[int, Line], anchor: int, budget: int, at_least: int = 0) -> None:
    """Walk back from line `anchor` (exclusive) over the kept lines, taking every line that says
    something, until the excerpt holds `budget` lines (and at least `at_least` were added), the previous
    step's end is reached (its output belongs to a step that passed) or the kept lines stop being
    contiguous."""
    i = _index(lines, anchor) - 1
    added = 0
    while i >= 0 and (len(chosen) < budget or added < at_least):
        line = lines[i]
        if i + 1 < len(lines) and lines[i + 1].number != line.number + 1 and lines[i + 1].number <= anchor:
            break                           # a stretch the reader did not keep: nothing more to show
        if step_end(line.text) is not None:
            break
        if line.number not in chosen and not is_filler(line.text) and not _noise(line):
            chosen[line.number] = line
            added += 1
        i -= 1


def last_words(lines: list[Line]) -> int:
    """The number just past the last meaningful line of the log (the anchor when no step end failed)."""
    for line in reversed(lines):
        if not is_filler(line.text):
            return line.number + 1
    return 0


def _noise(line: Line) -> bool:
    """Progress or success chatter (it never states a cause), or a line the passing run printed too."""
    return (line.base < 0 or line.known) and line.learned == 0


def _span(lines: list[Line], first: int, last: int) -> Iterable[Line]:
    i = _index(lines, first)
    while i < len(lines) and lines[i].number <= last:
        yield lines[i]
        i += 1


def _index(lines: list[Line], number: int) -> int:
    return bisect.bisect_left(lines, number, key=lambda line: line.number)
