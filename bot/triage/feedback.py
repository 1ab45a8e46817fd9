"""What a user's comment says about a triage: which lines state the cause, or that the repository's
learned shapes should be forgotten. Pure parsing; the comment handler records the result in a store.

    /triage lines 120-140        the cause is lines 120 to 140 of the failed log
    /triage lines 12,13,40-42    several pieces
    /triage forget               drop what this repository taught triage
    > 120 | Error: ...           quoting lines of the triage excerpt names them too
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.memory import parse_lines

_COMMAND = re.compile(r"^\s*/triage\s+(lines?|forget)\b[ \t]*([\d,\s-]*)$", re.IGNORECASE | re.MULTILINE)
# an excerpt line as the bot prints it ("120 | text", "120 * text"), quoted in Markdown ("> ")
_QUOTED = re.compile(r"^\s*>\s?(?:>\s?)*\s*(\d{1,7}) [|*] ", re.MULTILINE)
MAX_LINES = 2000          # lines one correction may name (a whole test report at most)


@dataclass(frozen=True)
class Correction:
    """A user's word on a triage: the cause lines (empty when none named), or a request to forget."""

    lines: tuple[int, ...] = ()
    forget: bool = False

    def __bool__(self) -> bool:
        return bool(self.lines) or self.forget


def parse_correction(comment: str) -> Correction:
    """The correction a comment makes, if any: a `/triage` command wins over quoted excerpt lines."""
    for match in _COMMAND.finditer(comment or ""):
        if match.group(1).lower() == "forget":
            return Correction(forget=True)
        try:
            numbers = parse_lines(match.group(2).replace(" ", ","))
        except ValueError:
            continue                       # a malformed command is no correction; the next may be
        if 0 < len(numbers) <= MAX_LINES:
            return Correction(tuple(numbers))
    quoted = sorted({int(n) for n in _QUOTED.findall(comment or "") if int(n) > 0})
    return Correction(tuple(quoted[:MAX_LINES]))
